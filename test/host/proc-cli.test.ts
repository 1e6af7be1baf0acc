// ww run / ps / kill as a user runs them: three `ww start` nodes, commands as subprocesses (more in proc-lifecycle.test.ts).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CliNode, eventually, threeNodes, wwAsync, wwBin, type CliResult } from './cli-node.js'
import { background, guest, psJson, withoutProgress, wwBuffers, type PsEntry } from './cli-procs.js'

const hashOf = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')

describe('host: ww run, ww ps, ww kill across a cluster', function () {
  this.timeout(300_000)
  let a: CliNode, b: CliNode, c: CliNode

  before(async function () { [a, b, c] = await threeNodes() })

  after(() => { for (const n of [a, b, c]) n?.cleanup() })

  /** `ww run` on `node`; an `input(...)` among the args is piped to its stdin. */
  const run = async (node: CliNode, ...args: Array<string | { input: string }>): Promise<CliResult> => {
    const stdin = args.find((a): a is { input: string } => typeof a !== 'string')
    return await wwAsync(['run', '--home', node.home, ...args.filter((a): a is string => typeof a === 'string')], stdin?.input)
  }
  const input = (text: string): { input: string } => ({ input: text })

  for (const name of ['hello', 'hello-as']) {
    it(`${name}: args, env, stdout, stderr and exit code 7, here and on another host by peer ID and by tag`, async () => {
      const expected = 'arg 1: one\narg 2: two words\nGREETING=hi\n'
      const here = await run(a, guest(name), '--env', 'GREETING=hi', '--', 'one', 'two words')
      assert.equal(here.stdout, expected, here.stderr)
      assert.equal(withoutProgress(here.stderr), 'hello on stderr\n')
      assert.equal(here.status, 7)

      const there = await run(a, guest(name), '--on', b.peer, '--env', 'GREETING=hi', '--', 'one', 'two words')
      assert.equal(there.stdout, expected, there.stderr)
      assert.equal(there.status, 7)
      const ps = JSON.parse((await wwAsync(['ps', '--json', '--home', b.home])).stdout) as Array<{ peer: string, name: string, status?: { code: number } }>
      assert.ok(ps.some(p => p.peer === b.peer && p.name === `${name}.wasm` && p.status?.code === 7), 'the proc ran on b')

      const tagged = await run(a, guest(name), '--where', 'role=c', '--', 'x')
      assert.equal(tagged.status, 7, tagged.stderr)
      const psC = JSON.parse((await wwAsync(['ps', '--json', '--home', c.home])).stdout) as Array<{ name: string }>
      assert.ok(psC.some(p => p.name === `${name}.wasm`), 'the proc ran on c')
    })
  }

  it('spawn by hash ships the module to a host that lacked it', async () => {
    const file = guest('cat')
    const hash = hashOf(file)
    const stored = (n: CliNode): boolean => existsSync(join(n.home, 'modules', `${hash}.wasm`))
    assert.equal(stored(b), false)
    assert.equal(stored(a), false)
    const r = await run(a, file, '--on', b.peer)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(stored(b), true, 'b fetched the bytes and cached them')
    assert.equal(stored(a), false, 'a only forwarded the request')
  })

  it('echo on A answers ping on B through /<A>/mailbox, and ping on A through /peer/mailbox', async () => {
    const echo = background(['run', '--home', a.home, guest('echo'), '--', '/peer/mailbox', '40'])
    await eventually(async () => (await wwAsync(['ls', `/${a.peer}`, '--home', a.home])).stdout.includes('mailbox'), 60_000, 'the echo mailbox')
    const remote = await run(b, guest('ping'), '--', `/${a.peer}/mailbox`, '20')
    assert.equal(remote.status, 0, remote.stderr)
    assert.match(remote.stdout, /^ping: 20 round trips/)
    const local = await run(a, guest('ping'), '--', '/peer/mailbox', '20')
    assert.equal(local.status, 0, local.stderr)
    assert.match(local.stdout, /^ping: 20 round trips/)
    const done = await echo.done
    assert.equal(done.status, 0, done.stderr)
  })

  it('stdin: piped input reaches the guest (here and on another host, with backpressure), --no-stdin gives it none', async () => {
    const hello = await run(a, guest('cat'), input('hello\n'))
    assert.equal(hello.stdout, 'hello\n', hello.stderr)
    assert.equal(withoutProgress(hello.stderr), '6 bytes\n')
    assert.equal(hello.status, 0)

    // 3 MiB in 64 KiB reads through a window of 8 sends into an input buffer of 256 chunks: senders wait
    const big = Buffer.alloc(3 * 1024 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = 97 + (i * 7 + (i >> 12)) % 26
    const there = await wwBuffers(['run', '--home', a.home, guest('cat'), '--on', b.peer], big)
    assert.equal(there.status, 0, there.stderr)
    assert.equal(withoutProgress(there.stderr), `${big.length} bytes\n`)
    assert.equal(createHash('sha256').update(there.stdout).digest('hex'), createHash('sha256').update(big).digest('hex'), 'every byte, in order')

    const none = await run(a, guest('cat'), '--no-stdin', input('ignored'))
    assert.equal(none.stdout, '')
    assert.equal(withoutProgress(none.stderr), '0 bytes\n')
  })

  it('stdin: a guest that does not read its input ends ww run although stdin stays open', async () => {
    const child = spawn(wwBin, ['run', '--home', a.home, guest('hello')], { stdio: ['pipe', 'pipe', 'pipe'] })
    child.stdin.write('never read\n') // and never ended
    const status = await new Promise<number | null>(resolve => child.on('close', resolve))
    assert.equal(status, 7)
    child.stdin.destroy()
  })

  it('fanout over three hosts returns the results in input order', async () => {
    const r = await run(a, guest('fanout'), '--', '7', 'rr', a.peer, b.peer, c.peer)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout, 'results: 0 1 4 9 16 25 36\n')
    for (const n of [b, c]) {
      const ps = JSON.parse((await wwAsync(['ps', '--json', '--home', n.home])).stdout) as Array<{ args: string[] }>
      assert.ok(ps.some(p => p.args[0] === 'child'), `children ran on ${n.peer}`)
    }
  })

  it('ps lists a looping guest; kill from another host ends it, and ww run says so', async () => {
    const loop = background(['run', '--home', a.home, guest('loop'), '--on', b.peer])
    await eventually(() => loop.stdout().includes('looping'), 60_000, 'the loop to start')
    const all = await wwAsync(['ps', '--all', '--home', c.home])
    const line = all.stdout.split('\n').find(l => /^\S+\s+running\s.*\sloop\.wasm$/.test(l))
    assert.ok(line !== undefined, all.stdout)
    const id = line.split(/\s+/)[0]
    assert.ok(id.startsWith(`${b.peer}/`))
    const k = await wwAsync(['kill', id, '--home', c.home])
    assert.equal(k.status, 0, k.stderr)
    const r = await loop.done
    assert.equal(r.status, 137)
    assert.equal(withoutProgress(r.stderr), `ww: proc ${id} killed\n`)
    const after = await wwAsync(['ps', '--home', b.home])
    assert.match(after.stdout, new RegExp(`^${id}\\s+killed\\s.*\\sloop\\.wasm$`, 'm'))
  })

  it('ps --json prints the limits a proc runs within, as given and as defaulted, and --help names them', async () => {
    const given = (await wwAsync(['run', '-d', '--home', a.home, guest('loop'), '--mem', '16M', '--fuel', '1000000000000', '--timeout', '600'])).stdout.trim()
    const plain = (await wwAsync(['run', '-d', '--home', a.home, guest('loop')])).stdout.trim()
    try {
      const ps = await psJson(a)
      const byId = (id: string): PsEntry | undefined => ps.find(p => `${p.peer}/${p.pid}` === id)
      assert.deepEqual(byId(given)?.limits, { memoryBytes: 16 * 1024 * 1024, fuel: 1e12, timeoutMs: 600_000 }, JSON.stringify(ps))
      assert.deepEqual(byId(plain)?.limits, { memoryBytes: 64 * 1024 * 1024, fuel: 0, timeoutMs: 0 }, JSON.stringify(ps))
    } finally {
      for (const id of [given, plain]) await wwAsync(['kill', id, '--home', a.home])
    }
    const help = (await wwAsync(['ps', '--help'])).stdout.replace(/\s+/g, ' ')
    assert.match(help, /limits \(memoryBytes: .*fuel: .*timeoutMs: /)
  })

  it('interrupting ww run kills the proc; limits end it with a clear line and exit code', async () => {
    const loop = background(['run', '--home', a.home, guest('loop')])
    await eventually(() => loop.stdout().includes('looping'), 60_000, 'the loop to start')
    loop.signal('SIGINT')
    assert.equal((await loop.done).status, 137)

    const fuel = await run(a, guest('loop'), '--fuel', '1000000')
    assert.equal(fuel.status, 125)
    assert.match(fuel.stderr, /out of fuel/)
    const timeout = await run(a, guest('loop'), '--timeout', '0.5')
    assert.equal(timeout.status, 124)
    assert.match(timeout.stderr, /timed out/)
    const running = await wwAsync(['ps', '--home', a.home])
    assert.doesNotMatch(running.stdout, /^\S+\s+running\s/m)
  })

  it('--root confines a guest to a subtree', async () => {
    const echo = background(['run', '--home', a.home, guest('echo'), '--root', `/${a.peer}/jail`, '--', '/box', '1'])
    await eventually(async () => (await wwAsync(['ls', `/${a.peer}/jail`, '--home', a.home])).stdout.includes('box'), 60_000, 'the box in the jail')
    const ping = await run(b, guest('ping'), '--', `/${a.peer}/jail/box`, '1')
    assert.equal(ping.status, 0, ping.stderr)
    assert.equal((await echo.done).status, 0)
    // Inside the jail "/peer" is just a name under the jail, not the host.
    const jailed = background(['run', '--home', a.home, guest('echo'), '--root', `/${a.peer}/jail`, '--', '/peer/inbox', '1'])
    await eventually(async () => (await wwAsync(['ls', `/${a.peer}/jail/peer`, '--home', a.home])).stdout.includes('inbox'), 60_000, 'the inbox in the jail')
    assert.doesNotMatch((await wwAsync(['ls', `/${a.peer}`, '--home', a.home])).stdout, /inbox/)
    jailed.signal('SIGINT')
    assert.equal((await jailed.done).status, 137)
  })

  it('bad input: an unknown peer, a missing file, a bad pid each give one line and their exit code', async () => {
    for (const [r, code] of [
      [await run(a, guest('hello'), '--on', 'nobody'), 3],
      [await run(a, '/no/such.wasm'), 3],
      [await wwAsync(['kill', 'x/y', '--home', a.home]), 2],
      [await wwAsync(['kill', '99999', '--home', a.home]), 3],
      [await run(a, guest('hello'), '--mem', 'lots'), 2]
    ] as const) {
      assert.equal(r.status, code, r.stderr)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.match(r.stderr, /^ww: /)
    }
  })
})
