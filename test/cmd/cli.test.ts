import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const ww = (...args: string[]) => spawnSync(`${root}/bin/ww`, args, { encoding: 'utf8', timeout: 120_000 })
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'))

describe('cli: ww', () => {
  it('--help exits 0 and lists the commands', () => {
    const r = ww('--help')
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /^Usage: ww /m)
    assert.match(r.stdout, /^\s+start\b/m)
  })

  it('--version exits 0 and prints the package version', () => {
    const r = ww('--version')
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout.trim(), pkg.version)
  })

  it('an unknown command exits non-zero with a one-line error', () => {
    const r = ww('frobnicate')
    assert.notEqual(r.status, 0)
    assert.equal(r.stdout, '')
    const lines = r.stderr.trim().split('\n')
    assert.equal(lines.length, 1, r.stderr)
    assert.match(lines[0], /unknown command 'frobnicate'/)
  })

  it('a reader that stops early (ww ... | head -1) ends it quietly, exit 0', async () => {
    const child = spawn(`${root}/bin/ww`, ['--help'], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.destroy() // closed before ww writes: its write fails with EPIPE
    let stderr = ''
    child.stderr.on('data', (d) => { stderr += String(d) })
    const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
    assert.equal(code, 0, stderr)
    assert.equal(stderr, '')
  })
})
