// `ww key swarm` and the swarm key file as `ww start` reads it: formats, modes and every error path (one line, exit code).
import assert from 'node:assert/strict'
import { chmodSync, copyFileSync, existsSync, readFileSync, statSync, writeFileSync, openSync, closeSync, rmSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { CliNode, eventually, tempHome, ww, wwAsync, wwBin } from './cli-node.js'

const KEY_FILE = /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/
const oneLine = (stderr: string): void => { assert.match(stderr, /^ww: [^\n]+\n$/, stderr) }

describe('host: ww key swarm and the swarm key file', function () {
  this.timeout(120_000)
  const dirs: string[] = []
  const dir = (): string => { const d = tempHome(); dirs.push(d); return d }
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  it('prints a new key in the kubo/go-libp2p format, a different one each time; a redirect to a file makes it 0600', () => {
    const a = ww('key', 'swarm')
    const b = ww('key', 'swarm')
    assert.equal(a.status, 0, a.stderr)
    assert.match(a.stdout, KEY_FILE)
    assert.notEqual(a.stdout, b.stdout)
    const file = join(dir(), 'swarm.key')
    const fd = openSync(file, 'w', 0o644)
    const r = spawnSync(wwBin, ['key', 'swarm'], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' })
    closeSync(fd)
    assert.equal(r.status, 0, r.stderr)
    assert.match(readFileSync(file, 'utf8'), KEY_FILE)
    assert.equal(statSync(file).mode & 0o777, 0o600)
  })

  it('--out writes it with mode 0600 and refuses to overwrite a file (exit 5) or to write into a missing directory (exit 3)', () => {
    const file = join(dir(), 'swarm.key')
    assert.equal(ww('key', 'swarm', '--out', file).status, 0)
    const first = readFileSync(file, 'utf8')
    assert.match(first, KEY_FILE)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const again = ww('key', 'swarm', '--out', file)
    assert.equal(again.status, 5)
    oneLine(again.stderr)
    assert.match(again.stderr, /already exists: not overwriting it/)
    assert.equal(readFileSync(file, 'utf8'), first, 'the key in place is kept')
    const missing = ww('key', 'swarm', '--out', join(dir(), 'no', 'such', 'dir', 'k'))
    assert.equal(missing.status, 3)
    oneLine(missing.stderr)
  })

  const malformed: Array<[string, string, RegExp]> = [
    ['garbage', 'not a key\n', /its first line is not '\/key\/swarm\/psk\/1\.0\.0\/'/],
    ['base64', '/key/swarm/psk/1.0.0/\n/base64/\nAAAA\n', /the \/base64\/ encoding is not supported, only \/base16\//],
    ['short', `/key/swarm/psk/1.0.0/\n/base16/\n${'ab'.repeat(31)}\n`, /not 64 hex characters \(62 characters\)/],
    ['not hex', `/key/swarm/psk/1.0.0/\n/base16/\n${'zz'.repeat(32)}\n`, /not 64 hex characters/],
    ['no key line', '/key/swarm/psk/1.0.0/\n/base16/\n', /the key line is missing/],
    ['extra line', `/key/swarm/psk/1.0.0/\n/base16/\n${'ab'.repeat(32)}\nmore\n`, /more than three lines/]
  ]
  for (const [what, text, why] of malformed) {
    it(`ww start refuses a malformed key file (${what}): one line naming the file, exit 2, no node started`, () => {
      const home = dir()
      const file = join(home, 'bad.key')
      writeFileSync(file, text)
      const r = ww('start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--swarm-key', file)
      assert.equal(r.status, 2, r.stderr)
      oneLine(r.stderr)
      assert.ok(r.stderr.startsWith(`ww: swarm key file ${file} is malformed: `), r.stderr)
      assert.match(r.stderr, why)
      assert.equal(r.stdout, '')
    })
  }

  it('the default <home>/swarm.key is read when present: malformed there is exit 2 too, also with --detach', () => {
    const home = dir()
    writeFileSync(join(home, 'swarm.key'), 'nope\n')
    for (const extra of [[], ['--detach']]) {
      const r = ww('start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', ...extra)
      assert.equal(r.status, 2, r.stderr)
      oneLine(r.stderr)
      assert.ok(r.stderr.startsWith(`ww: swarm key file ${join(home, 'swarm.key')} is malformed`), r.stderr)
    }
    assert.ok(!existsSync(join(home, 'ww.pid')) && !existsSync(join(home, 'api.sock')), 'no node started')
  })

  it('a --swarm-key file that does not exist is exit 3, one line saying how to make one', () => {
    const file = join(dir(), 'missing.key')
    const r = ww('start', '--home', dir(), '--no-mdns', '--swarm-key', file)
    assert.equal(r.status, 3)
    oneLine(r.stderr)
    assert.equal(r.stderr, `ww: swarm key file ${file} not found; make one with 'ww key swarm --out ${file}'\n`)
  })

  it('ww key without a kind, or with an unknown one, is a usage error: one line, exit 2', () => {
    for (const args of [['key'], ['key', 'nope']]) {
      const r = ww(...args)
      assert.equal(r.status, 2, r.stderr)
      oneLine(r.stderr)
    }
    assert.match(ww('key').stderr, /ww key swarm/)
  })

  const shared = (file: string, mode: number): string =>
    `ww: warning: swarm key file ${file} has mode 0${mode.toString(8)}, open to group or others: whoever can read it can join this private cluster; make it private with 'chmod 600 ${file}'\n`

  it('ww start warns with one line when group or others may read or write the key file (mode & 0077), and starts all the same; 0600 gets none', async () => {
    const key = join(dir(), 'swarm.key')
    assert.equal(ww('key', 'swarm', '--out', key).status, 0)
    // --swarm-key FILE, and <home>/swarm.key (copied with the mode), each with a mode that lets someone else in.
    const cases: Array<[number, (home: string) => { file: string, args: string[] }]> = [
      [0o644, () => { chmodSync(key, 0o644); return { file: key, args: ['--swarm-key', key] } }],
      [0o620, (home) => { const file = join(home, 'swarm.key'); copyFileSync(key, file); chmodSync(file, 0o620); return { file, args: [] } }],
      [0o600, () => { chmodSync(key, 0o600); return { file: key, args: ['--swarm-key', key] } }]
    ]
    for (const [mode, setUp] of cases) {
      const home = dir()
      const { file, args } = setUp(home)
      const node = await CliNode.startWithPolicy(home, ...args)
      try {
        await eventually(() => /private cluster/.test(node.stderr), 60_000, `the node started with mode ${mode.toString(8)} to say it is in a private cluster`)
        const warnings = node.stderr.split('\n').filter(l => l.includes('warning'))
        assert.deepEqual(warnings, mode === 0o600 ? [] : [shared(file, mode).trimEnd()], node.stderr)
      } finally {
        assert.equal(await node.stop(), 0)
      }
    }
  })

  it('ww start --detach warns once, on its own stderr, about a key file others may read; the node runs', async () => {
    const home = dir()
    const key = join(dir(), 'swarm.key')
    assert.equal(ww('key', 'swarm', '--out', key).status, 0)
    chmodSync(key, 0o640)
    const r = await wwAsync(['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--swarm-key', key, '--detach'])
    try {
      assert.equal(r.status, 0, r.stderr)
      assert.equal(r.stderr, shared(key, 0o640))
      assert.match(r.stdout, /^peer \S+$/m)
      assert.equal(ww('id', '--home', home).status, 0, 'the detached node answers')
    } finally {
      assert.equal(ww('stop', '--home', home).status, 0)
    }
  })

  it('ww help start and ww key swarm --help tell of it', () => {
    const start = ww('help', 'start').stdout
    assert.match(start, /--swarm-key <file>/)
    assert.match(start, /<home>\/swarm\.key when present/)
    assert.match(start, /group or others may read or write \(mode\s+& 0077\) gets one warning line/)
    const key = ww('key', 'swarm', '--help').stdout
    assert.match(key, /--out <file>/)
    assert.match(key, /0600/)
  })
})
