// make install / make uninstall: a `ww` on PATH, a symlink to bin/ww, that runs from any directory.
// Each test installs into its own temporary BINDIR; `-o build` keeps make from rebuilding inside a test.
import assert from 'node:assert/strict'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '')
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string

function make (target: string, bindir: string, path = process.env.PATH ?? ''): SpawnSyncReturns<string> {
  return spawnSync('make', ['-s', '--no-print-directory', '-C', root, '-o', 'build', target, `BINDIR=${bindir}`],
    { encoding: 'utf8', env: { ...process.env, PATH: path } })
}

describe('tools: make install puts ww on PATH', function () {
  this.timeout(60_000)
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ww-install-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('links BINDIR/ww to bin/ww, says BINDIR is on PATH, and the linked ww runs from another directory', () => {
    const bindir = join(dir, 'bin')
    const path = `${bindir}:${process.env.PATH ?? ''}`
    const r = make('install', bindir, path)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(readlinkSync(join(bindir, 'ww')), join(root, 'bin', 'ww'))
    assert.match(r.stdout, new RegExp(`installed ${bindir}/ww -> ${root}/bin/ww`))
    assert.match(r.stdout, /is on PATH/)
    const run = spawnSync('ww', ['--version'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: path } })
    assert.equal(run.status, 0, run.stderr)
    assert.equal(run.stdout.trim(), version)
    const help = spawnSync('ww', ['help'], { cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, PATH: path } })
    assert.equal(help.status, 0, help.stderr)
    assert.match(help.stdout, /Usage: ww/)

    const gone = make('uninstall', bindir, path)
    assert.equal(gone.status, 0, gone.stderr)
    assert.match(gone.stdout, /removed /)
    assert.ok(!existsSync(join(bindir, 'ww')))
    assert.match(make('uninstall', bindir, path).stdout, /nothing to remove/)
  })

  it('says so when BINDIR is not on PATH', () => {
    const r = make('install', dir, '/usr/bin:/bin')
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`${dir} is not on PATH: add it`))
  })

  it('replaces no file of its own, and removes no link to another checkout', () => {
    writeFileSync(join(dir, 'ww'), '#!/bin/sh\n')
    const r = make('install', dir)
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, new RegExp(`${dir}/ww exists and is not a symlink; remove it or give another BINDIR=DIR`))
    assert.equal(readFileSync(join(dir, 'ww'), 'utf8'), '#!/bin/sh\n')
    rmSync(join(dir, 'ww'))
    symlinkSync('/elsewhere/bin/ww', join(dir, 'ww'))
    const u = make('uninstall', dir)
    assert.notEqual(u.status, 0)
    assert.match(u.stderr, /points to \/elsewhere\/bin\/ww, not to this checkout; left alone/)
    assert.equal(readlinkSync(join(dir, 'ww')), '/elsewhere/bin/ww')
  })
})
