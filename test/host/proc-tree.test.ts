// Supervised proc trees as a user sees them: `ww start` nodes, guests run with `ww run` subprocesses
// (guest/examples/tree.c and supervisor.c). A child ends with its parent unless detached, lives inside
// its parent's limits and root; wait with a timeout; monitors learn how a proc ended, `host lost` included.
import assert from 'node:assert/strict'
import { CliNode, eventually, tempHome, threeNodes, wwAsync, type CliResult } from './cli-node.js'
import { background, guest, psJson, withoutProgress, type PsEntry } from './cli-procs.js'

const WW_KILLED = 1
const WW_OUT_OF_MEMORY = 3
const WW_HOST_LOST = 6

describe('host: supervised proc trees (ww_spawn_with, ww_wait_timeout, ww_monitor)', function () {
  this.timeout(300_000)
  let a: CliNode, b: CliNode, c: CliNode

  before(async function () { [a, b, c] = await threeNodes() })

  after(() => { for (const n of [a, b, c]) n?.cleanup() })

  const run = async (node: CliNode, ...args: string[]): Promise<CliResult> => await wwAsync(['run', '--home', node.home, ...args])

  /** The `tree idle` children on `node` that were not in `before`. */
  const idleChildren = async (node: CliNode, before: Set<number>): Promise<PsEntry[]> =>
    (await psJson(node)).filter(p => p.args[0] === 'idle' && !before.has(p.pid))
  const pids = async (node: CliNode): Promise<Set<number>> => new Set((await psJson(node)).map(p => p.pid))

  /** Starts `tree parent WHERE` on a, waits for its child on `host`, stops the parent with `stop`; returns the child once it ended. */
  const parentStopped = async (host: CliNode, where: string): Promise<PsEntry> => {
    const before = await pids(host)
    const parent = background(['run', '--home', a.home, guest('tree'), '--', 'parent', where])
    await eventually(() => parent.stdout().includes('spawned'), 60_000, 'the child to be spawned')
    const [child] = await idleChildren(host, before)
    assert.equal(child?.state, 'running')
    parent.signal('SIGINT')
    assert.equal((await parent.done).status, 137)
    let ended: PsEntry | undefined
    await eventually(async () => {
      ended = (await psJson(host)).find(p => p.pid === child.pid && p.state === 'exited')
      return ended !== undefined
    }, 30_000, 'the child to end')
    return ended!
  }

  it('a child ends with its parent, on the same host and on another host', async () => {
    for (const [host, where] of [[a, ''], [b, b.peer]] as const) {
      const child = await parentStopped(host, where)
      assert.equal(child.status?.reason, 'killed')
      assert.equal(child.status?.message, 'killed: its parent ended')
    }
  })

  it('a detached child outlives its parent, inside the timeout the parent had', async () => {
    const before = await pids(b)
    const r = await run(a, guest('tree'), '--timeout', '3', '--', 'orphan', b.peer)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout, 'spawned\n')
    const [child] = await idleChildren(b, before)
    assert.ok(child !== undefined, 'the child runs on b')
    // the parent is gone; the child ends by the parent's timeout (3 s), not by the parent's end
    let ended: PsEntry | undefined
    await eventually(async () => {
      ended = (await psJson(b)).find(p => p.pid === child.pid && p.state === 'exited')
      return ended !== undefined
    }, 60_000, 'the detached child to time out')
    assert.equal(ended!.status?.reason, 'timedOut')
    assert.match(ended!.status?.message ?? '', /timed out after 3000 ms/)
  })

  it('a child cannot widen its parent\'s memory limit or root', async () => {
    // the child asks for 32 MiB and uses 16: fine under a 64 MiB parent, out of memory under an 8 MiB one
    const roomy = await run(a, guest('tree'), '--', 'mem', b.peer, '32', '16')
    assert.equal(roomy.stdout, 'child: reason=0 code=0\n', roomy.stderr)
    const tight = await run(a, guest('tree'), '--mem', '8M', '--', 'mem', b.peer, '32', '16')
    assert.equal(tight.stdout, `child: reason=${WW_OUT_OF_MEMORY} code=0\n`, tight.stderr)
    assert.equal(tight.status, 0)
    // a confined parent's child on another host sees the parent's root, not the cluster
    const jailed = await run(a, guest('tree'), '--root', `/${a.peer}/treejail`, '--', 'rootls', c.peer)
    assert.equal(jailed.stdout, 'child sees: mark\nchild: reason=0 code=0\n', jailed.stderr)
    const free = await run(a, guest('tree'), '--', 'rootls', c.peer)
    assert.match(free.stdout, /^child sees: 12D3KooW/, free.stderr) // the hosts of the cluster root
  })

  it('wait with a timeout, and the error paths of ww_wait_timeout, ww_monitor, ww_spawn_with', async () => {
    const r = await run(a, guest('tree'), '--', 'waitfor', b.peer)
    assert.equal(withoutProgress(r.stderr), '')
    assert.equal(r.status, 0)
    assert.equal(r.stdout, [
      'wait 300 ms: -8 (Timeout: proc handle 1 still runs after 300 ms)',
      `after kill: 0 reason=${WW_KILLED}`,
      'wait_timeout bad handle: -5',
      'wait_timeout on a channel: -3',
      'wait_timeout bad pointer: -4',
      'monitor bad handle: -5',
      'monitor a channel: -3',
      'monitor into a recver: -3',
      'spawn_with unknown flags: -3',
      'spawn_with bad limits pointer: -4',
      'down_read short: -3',
      ''
    ].join('\n'))
  })

  it('AssemblyScript: spawnSelf, waitTimeout, monitor, recvDown and their error paths, child on another host', async () => {
    const r = await run(a, guest('tree-as'), '--', 'watch', b.peer)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout, [
      'wait 300 ms: -8',
      'monitor: 0',
      `down: same=1 reason=${WW_KILLED} code=0`,
      `wait: 0 reason=${WW_KILLED}`,
      'wait bad handle: -5',
      'monitor bad handle: -5',
      'spawn on no host: -1',
      ''
    ].join('\n'))
  })

  it('a monitor tells how a watched proc ended (killed), on another host', async () => {
    const mon = background(['run', '--home', a.home, guest('tree'), '--', 'monitor', c.peer])
    await eventually(() => mon.stdout().includes('monitoring'), 60_000, 'the monitor to be set')
    const [child] = (await psJson(c)).filter(p => p.args[0] === 'idle' && p.state === 'running')
    const k = await wwAsync(['kill', `${c.peer}/${child.pid}`, '--home', a.home])
    assert.equal(k.status, 0, k.stderr)
    const r = await mon.done
    assert.equal(r.stdout, `monitoring\ndown: same=1 reason=${WW_KILLED} code=0\nwait: reason=${WW_KILLED} code=0\n`, r.stderr)
  })

  it('kill -9 of a host: its procs\' monitors learn host lost; children of its procs elsewhere end', async () => {
    const ttl = 2
    const [d, e] = await Promise.all([
      CliNode.start(tempHome(), '--ttl', String(ttl), '--bootstrap', a.addrs[0]),
      CliNode.start(tempHome(), '--ttl', String(ttl), '--bootstrap', a.addrs[0])
    ])
    try {
      await eventually(async () => (await a.ls()).length === 5 && (await d.ls()).length === 5 && (await e.ls()).length === 5, 60_000, 'five hosts')
      // a monitor on a watches a proc on d
      const mon = background(['run', '--home', a.home, guest('tree'), '--', 'monitor', d.peer])
      await eventually(() => mon.stdout().includes('monitoring'), 60_000, 'the monitor to be set')
      // a parent on e has a child on b
      const before = await pids(b)
      const parent = background(['run', '--home', e.home, guest('tree'), '--', 'parent', b.peer])
      await eventually(() => parent.stdout().includes('spawned'), 60_000, 'the child on b')
      const [child] = await idleChildren(b, before)
      assert.equal(child?.state, 'running')

      const killedAt = Date.now()
      await Promise.all([d.stop('SIGKILL'), e.stop('SIGKILL')])
      const r = await mon.done
      const tookMs = Date.now() - killedAt
      assert.equal(r.stdout, `monitoring\ndown: same=1 reason=${WW_HOST_LOST} code=0\nwait: reason=${WW_HOST_LOST} code=0\n`, r.stderr)
      // within the membership TTL (the connection drop usually tells at once), with room for load
      assert.ok(tookMs < ttl * 1000 + 30_000, `host lost after ${tookMs} ms`)

      let ended: PsEntry | undefined
      await eventually(async () => {
        ended = (await psJson(b)).find(p => p.pid === child.pid && p.state === 'exited')
        return ended !== undefined
      }, 60_000, 'the child of the lost parent to end')
      assert.equal(ended!.status?.reason, 'killed')
    } finally {
      d.cleanup()
      e.cleanup()
    }
  })

  it('a frozen host (SIGSTOP: its connections stay open, its heartbeats stop): monitors learn host lost, and its procs\' children elsewhere end, once its TTL passes', async () => {
    const ttl = 2
    const d = await CliNode.start(tempHome(), '--ttl', String(ttl), '--bootstrap', a.addrs[0])
    let parent: ReturnType<typeof background> | undefined
    try {
      await eventually(async () => (await a.ls()).includes(d.peer) && (await d.ls()).length >= 4, 60_000, 'd in the cluster')
      const mon = background(['run', '--home', a.home, guest('tree'), '--', 'monitor', d.peer])
      await eventually(() => mon.stdout().includes('monitoring'), 60_000, 'the monitor to be set')
      // a parent on d has a child on b
      const before = await pids(b)
      parent = background(['run', '--home', d.home, guest('tree'), '--', 'parent', b.peer])
      await eventually(() => parent!.stdout().includes('spawned'), 60_000, 'the child on b')
      const [child] = await idleChildren(b, before)
      assert.equal(child?.state, 'running')
      const frozenAt = Date.now()
      d.child.kill('SIGSTOP')
      const r = await mon.done
      const tookMs = Date.now() - frozenAt
      assert.equal(r.stdout, `monitoring\ndown: same=1 reason=${WW_HOST_LOST} code=0\nwait: reason=${WW_HOST_LOST} code=0\n`, r.stderr)
      console.log(`      host lost ${tookMs} ms after the host froze (TTL ${ttl} s)`)
      // its last heartbeat went out at most ttl/2 before it froze (membership.ts): sooner would not be expiry
      assert.ok(tookMs >= ttl * 500 - 200, `host lost after ${tookMs} ms: sooner than its TTL allows`)
      assert.ok(tookMs < ttl * 1000 + 30_000, `host lost after ${tookMs} ms`)
      let ended: PsEntry | undefined
      await eventually(async () => {
        ended = (await psJson(b)).find(p => p.pid === child.pid && p.state === 'exited')
        return ended !== undefined
      }, 60_000, 'the child of the frozen parent to end')
      assert.equal(ended!.status?.message, 'killed: the host that spawned it left the cluster')
    } finally {
      d.child.kill('SIGKILL')
      parent?.signal('SIGKILL')
      d.cleanup()
    }
  })

  it('supervisor restarts a crashing worker over three hosts with backoff, and gives up after N crashes in the window', async () => {
    const hosts = [a.peer, b.peer, c.peer]
    const before = await Promise.all([a, b, c].map(pids))
    const gaveUp = await run(a, guest('supervisor'), '--', '3', '60', '-1', ...hosts)
    assert.equal(gaveUp.status, 1, gaveUp.stderr)
    assert.equal(gaveUp.stdout, [
      `supervisor: started worker 1 on ${a.peer}`,
      'supervisor: worker 1 crashed (trapped)',
      'supervisor: restarting in 100 ms',
      `supervisor: started worker 2 on ${b.peer}`,
      'supervisor: worker 2 crashed (trapped)',
      'supervisor: restarting in 200 ms',
      `supervisor: started worker 3 on ${c.peer}`,
      'supervisor: worker 3 crashed (trapped)',
      'supervisor: giving up after 3 crashes in 60 s',
      ''
    ].join('\n'))
    // each worker really ran (and trapped) on its host
    for (const [i, n] of [a, b, c].entries()) {
      const workers = (await psJson(n)).filter(p => p.args[0] === 'worker' && !before[i].has(p.pid))
      assert.deepEqual(workers.map(w => [w.args[1], w.status?.reason]), [[String(i + 1), 'trapped']])
    }

    const recovered = await run(a, guest('supervisor'), '--', '5', '60', '2', b.peer, c.peer)
    assert.equal(recovered.status, 0, recovered.stderr)
    assert.match(recovered.stdout, new RegExp(`supervisor: worker 2 crashed \\(trapped\\)\\nsupervisor: restarting in 200 ms\\nsupervisor: started worker 3 on ${b.peer}\\nsupervisor: worker 3 finished\\n$`))
  })

  it('supervisor: bad arguments give one line and exit 2', async () => {
    const r = await run(a, guest('supervisor'), '--', '0', '10', '1')
    assert.equal(r.status, 2)
    assert.equal(withoutProgress(r.stderr), 'supervisor: MAX_CRASHES must be 1..1024 and WINDOW_S > 0\n')
  })
})
