// A proc's life from the command line, as a user lives it: two `ww start` nodes, commands as
// subprocesses. A foreground ww run takes its proc with it; ww run -d, ww logs, ww wait, ww kill;
// ps columns; pids across a restart; the progress line of a first run; ping waiting for echo.
import assert from 'node:assert/strict'
import { cpSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CliNode, eventually, sleep, tempHome, wwAsync, type CliResult } from './cli-node.js'
import { background, guest, progressLines, psJson, withoutProgress, wwBuffers, type PsEntry } from './cli-procs.js'

const ID = /^(\S+)\/(\d+)\n$/

describe('host: a proc\'s life from the command line (run -d, logs, wait, kill, ps, a client that dies)', function () {
  this.timeout(600_000)
  let a: CliNode, b: CliNode
  const homes: string[] = []

  before(async function () {
    a = await CliNode.start(tempHome())
    b = await CliNode.start(tempHome(), '--bootstrap', a.addrs[0])
    for (const n of [a, b]) await eventually(async () => (await n.ls()).length === 2, 20_000, 'two hosts')
  })

  after(() => {
    for (const n of [a, b]) n?.cleanup()
    for (const h of homes) rmSync(h, { recursive: true, force: true })
  })

  /** `ww COMMAND --home <node's> ARGS...` (the home before any `--`). */
  const ww = async (node: CliNode, command: string, ...args: string[]): Promise<CliResult> => await wwAsync([command, '--home', node.home, ...args])
  /** `ww run -d` on `node`: the proc's ID. */
  const detach = async (node: CliNode, ...args: string[]): Promise<string> => {
    const r = await ww(node, 'run', '-d', ...args)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, ID)
    return r.stdout.trim()
  }
  const pidOf = (id: string): number => Number(id.slice(id.lastIndexOf('/') + 1))
  /** The proc `pid` (or the pid of ID `<peer>/<pid>`) as `ww ps --json` on `host` shows it. */
  const entry = async (host: CliNode, proc: string | number): Promise<PsEntry | undefined> => {
    const pid = typeof proc === 'number' ? proc : pidOf(proc)
    return (await psJson(host)).find(p => p.pid === pid)
  }
  /** Asserts one line on stderr, starting "ww: ", and the exit code. */
  const oneLine = (r: CliResult, code: number, text: RegExp): void => {
    assert.equal(r.status, code, r.stderr)
    assert.equal(r.stderr.split('\n').length, 2, r.stderr)
    assert.match(r.stderr, /^ww: /)
    assert.match(r.stderr, text)
  }

  it('the first run of a module on a host prints one progress line naming it and the host; later runs print none', async () => {
    for (const [host, on] of [[a, []], [b, ['--on', b.peer]]] as const) {
      const first = await ww(a, 'run', guest('hello'), ...on)
      assert.equal(first.status, 7, first.stderr)
      assert.deepEqual(progressLines(first.stderr),
        [`ww: preparing hello.wasm on ${host.peer} (first run of this module there; cached afterwards)`], first.stderr)
      assert.equal(withoutProgress(first.stderr), 'hello on stderr\n')
      const again = await ww(a, 'run', guest('hello'), ...on)
      assert.equal(again.status, 7)
      assert.equal(again.stderr, 'hello on stderr\n', 'no progress line once the module is prepared')
    }
  })

  for (const sig of ['SIGKILL', 'SIGHUP'] as const) {
    it(`a foreground ww run ended by ${sig} takes its proc with it, here and on another host`, async () => {
      for (const [host, on] of [[a, []], [b, ['--on', b.peer]]] as const) {
        const run = background(['run', '--home', a.home, guest('loop'), ...on])
        await eventually(() => run.stdout().includes('looping'), 120_000, 'the loop to start')
        const mine = (await psJson(host)).filter(p => p.name === 'loop.wasm' && p.state === 'running')
        assert.equal(mine.length, 1, JSON.stringify(mine))
        run.signal(sig)
        await run.done
        await eventually(async () => (await entry(host, mine[0].pid))?.state === 'exited', 30_000, 'the proc to end')
        const ended = await entry(host, mine[0].pid)
        assert.deepEqual(ended?.status, { reason: 'killed', code: -1, message: 'killed: the client that ran it went away' })
      }
    })
  }

  it('ww run -d prints the ID once started; ww logs shows what it wrote, ww wait exits with its code; here and on another host', async () => {
    for (const [host, on] of [[a, []], [b, ['--on', b.peer]]] as const) {
      const id = await detach(a, guest('hello'), ...on, '--env', 'GREETING=hi', '--', 'one', 'two words')
      assert.equal(ID.exec(id + '\n')?.[1], host.peer)
      const waited = await ww(a, 'wait', id)
      assert.deepEqual(waited, { status: 7, stdout: '', stderr: '' })
      const logs = await ww(a, 'logs', id)
      assert.deepEqual(logs, { status: 0, stdout: 'arg 1: one\narg 2: two words\nGREETING=hi\n', stderr: 'hello on stderr\n' })
      const fromThere = await ww(host, 'logs', String(pidOf(id)))
      assert.equal(fromThere.stdout, logs.stdout, 'a bare pid names a proc of the host the command asks')
    }
    oneLine(await ww(a, 'run', '-d', '--stdin', guest('hello')), 2, /--stdin/)
  })

  it('a foreground run\'s output is in its log too, bounded: the last 1 MiB of each stream, with one line saying what was dropped', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = 97 + (i * 7 + (i >> 12)) % 26
    const run = await wwBuffers(['run', '--home', a.home, guest('cat')], big)
    assert.equal(run.status, 0, run.stderr)
    assert.equal(run.stdout.length, big.length, 'the client still gets every byte')
    const cat = (await psJson(a)).filter(p => p.name === 'cat.wasm').at(-1)!
    const id = `${a.peer}/${cat.pid}`
    const logs = await wwBuffers(['logs', id, '--home', a.home], Buffer.alloc(0))
    assert.equal(logs.status, 0, logs.stderr)
    assert.ok(logs.stdout.equals(big.subarray(big.length - 1024 * 1024)), 'the last MiB, byte for byte')
    const lines = withoutProgress(logs.stderr).trim().split('\n').sort()
    assert.deepEqual(lines, [
      `${big.length} bytes`,
      `ww: ${2 * 1024 * 1024} earlier bytes of proc ${id}'s stdout were dropped (a host keeps the last 1 MiB of each stream)`
    ])
  })

  it('ww logs -f follows a detached proc until it ends; ping waits for the echo started after it', async () => {
    const id = await detach(a, guest('ping'), '--', '/peer/late', '3', '120')
    const follow = background(['logs', '-f', id, '--home', a.home])
    const waiting = background(['wait', id, '--home', a.home])
    await sleep(1000)
    assert.equal(follow.exited(), undefined, 'logs -f goes on while ping waits for /peer/late')
    assert.equal((await entry(a, id))?.state, 'running')
    await detach(b, guest('echo'), '--on', a.peer, '--', '/peer/late', '3')
    const r = await follow.done
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /^ping: 3 round trips in \d+ us/)
    assert.equal((await waiting.done).status, 0)
  })

  it('ww_request to a mailbox on the same host: every answer is its own (ping in request mode, 500 round trips)', async () => {
    const echo = await detach(a, guest('echo'), '--', '/peer/rq-box', '500')
    const r = await ww(a, 'run', guest('ping'), '--', '/peer/rq-box', '500', '60', 'request')
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /^ping: 500 round trips in \d+ us/)
    assert.equal((await ww(a, 'wait', echo)).status, 0, 'echo answered all 500 and ended')
  })

  it('ping gives up on an empty path after its wait, with one line', async () => {
    const r = await ww(a, 'run', guest('ping'), '--', '/peer/nobody-home', '1', '1')
    assert.equal(r.status, 1)
    assert.equal(withoutProgress(r.stderr), 'ping: nothing at /peer/nobody-home after 1 s; start echo first (ww run -d echo.wasm -- PATH)\n')
  })

  it('ww wait of a killed proc prints its one line and exits 137; ww kill of an ended proc is an error', async () => {
    const id = await detach(a, guest('loop'), '--on', b.peer)
    const waiting = background(['wait', id, '--home', a.home])
    await eventually(async () => (await ww(a, 'logs', id)).stdout === 'looping\n', 60_000, 'the loop to start')
    const k = await ww(a, 'kill', id)
    assert.deepEqual(k, { status: 0, stdout: '', stderr: '' })
    assert.deepEqual(await waiting.done, { status: 137, stdout: '', stderr: `ww: proc ${id} killed\n` })
    oneLine(await ww(a, 'kill', id), 3, new RegExp(`^ww: proc ${id} already ended: killed\\n$`))
    const hello = await detach(a, guest('hello'))
    await ww(a, 'wait', hello)
    oneLine(await ww(a, 'kill', hello), 3, new RegExp(`^ww: proc ${hello} already ended: exited\\(7\\)\\n$`))
    oneLine(await ww(a, 'wait', String(pidOf(hello) + 100_000)), 3, /no proc/)
    oneLine(await ww(a, 'logs', `${b.peer}/${pidOf(hello) + 100_000}`), 3, /no proc/)
    oneLine(await ww(a, 'logs', 'nope/x'), 2, /not a proc ID/)
  })

  it('ps: a header, start time and uptime columns; --json has startedMs, uptimeMs and (once ended) endedMs', async () => {
    const id = await detach(a, guest('loop'))
    const ps = await ww(a, 'ps')
    assert.equal(ps.status, 0, ps.stderr)
    const [header, ...rows] = ps.stdout.trimEnd().split('\n')
    assert.match(header, /^ID\s+STATE\s+STARTED\s+UPTIME\s+NAME\s+ARGS$/)
    const row = rows.find(l => l.startsWith(id + ' '))
    assert.match(row ?? '', /^\S+\s+running\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(\d+ms|\d+s|\d+m\d\ds)\s+loop\.wasm$/, ps.stdout)
    const running1 = (await entry(a, id))!
    await sleep(200)
    const running2 = (await entry(a, id))!
    assert.ok(running2.uptimeMs > running1.uptimeMs, 'uptime grows while it runs')
    assert.equal(running2.startedMs, running1.startedMs)
    assert.equal(running2.endedMs, undefined)
    await ww(a, 'kill', id)
    await eventually(async () => (await entry(a, id))?.state === 'exited', 30_000, 'the loop to end')
    const ended1 = (await entry(a, id))!
    assert.equal(ended1.uptimeMs, ended1.endedMs! - ended1.startedMs, 'an ended proc\'s uptime is how long it ran')
    await sleep(200)
    assert.equal((await entry(a, id))!.uptimeMs, ended1.uptimeMs, 'and stays so')
  })

  it('ww run of a file that is not a WebAssembly module names it: one line, exit 2', async () => {
    const readme = fileURLToPath(new URL('../../../README.md', import.meta.url))
    oneLine(await ww(a, 'run', readme), 2, /README\.md is not a WebAssembly module/)
    const broken = join(tempHome(), 'broken.wasm')
    homes.push(join(broken, '..'))
    writeFileSync(broken, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff]))
    oneLine(await ww(a, 'run', broken), 2, /broken\.wasm is not a valid WebAssembly module: /)
  })

  it('pids are not reused after the node restarts on the same home', async () => {
    const home = tempHome()
    homes.push(home)
    cpSync(join(a.home, 'modules'), join(home, 'modules'), { recursive: true }) // prepared modules: no transform here
    let node = await CliNode.start(home)
    const first = await detach(node, guest('hello'))
    assert.equal((await ww(node, 'wait', first)).status, 7)
    await node.stop()
    node = await CliNode.start(home)
    try {
      const second = await detach(node, guest('hello'))
      assert.equal(ID.exec(second + '\n')?.[1], ID.exec(first + '\n')?.[1], 'the same peer')
      assert.ok(pidOf(second) > pidOf(first), `${second} after ${first}`)
      oneLine(await ww(node, 'wait', first), 3, /no proc/)
      assert.deepEqual((await psJson(node)).map(p => p.pid), [pidOf(second)], 'ps lists only the new proc')
    } finally { await node.stop() }
  })
})
