import assert from 'node:assert/strict'
import { LocalCluster, removeDir, tempDir, waitFor, patienceMs } from './helpers.js'
import { NodeProcess } from './process.js'

describe('cluster: a node in another process', function () {
  this.timeout(90_000)
  let cluster: LocalCluster
  let proc: NodeProcess | undefined
  let home: string
  beforeEach(async () => { cluster = new LocalCluster(); home = await tempDir() })
  afterEach(async () => {
    proc?.kill()
    await proc?.exited
    await cluster.stop()
    await removeDir(home)
  })

  it('killed with SIGKILL, it disappears from the others within its TTL, not while it runs', async () => {
    const a = await cluster.add()
    const b = await cluster.add()
    const ttlMs = 4_000 // probes every 400 ms, and at once when its connection breaks; a suspicion it cannot refute times out within 1-2 s
    proc = NodeProcess.start({ home, namespace: 'test', listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, bootstrap: [a.addrs()[0]], ttlMs })
    const { peerId } = await proc.line('peerId', patienceMs)
    await waitFor(() => a.lookup(peerId) !== undefined && b.lookup(peerId) !== undefined, patienceMs, 'the child to join')
    const leaves: Array<{ at: number, how: string }> = []
    for (const n of [a, b]) {
      n.table.watch(ev => { if (ev.type === 'leave' && ev.record.peer === peerId) leaves.push({ at: Date.now(), how: ev.how }) })
    }
    // Alive, it stays listed: a TTL of probes passes without a removal.
    const probes = a.membership.swim.stats.probes
    await waitFor(() => a.membership.swim.stats.probes >= probes + ttlMs / a.membership.swim.params.probeIntervalMs, ttlMs + patienceMs, 'a TTL of probes')
    assert.equal(leaves.length, 0, 'removed while it was running')
    proc.kill('SIGKILL')
    await proc.exited
    const killedAt = Date.now()
    await waitFor(() => a.lookup(peerId) === undefined && b.lookup(peerId) === undefined, ttlMs + patienceMs, 'the killed node to expire')
    assert.equal(leaves.length, 2)
    for (const leave of leaves) {
      assert.ok(leave.at >= killedAt, 'dropped while it was still running')
      assert.equal(leave.how, 'expired')
    }
    console.log(`      removed ${leaves.map(l => l.at - killedAt).join(' and ')} ms after the kill (TTL ${ttlMs} ms)`)
    assert.deepEqual(a.ls().map(r => r.peer), [a.peerId, b.peerId].sort())
  })

  it('stopped with SIGTERM, it leaves at once', async () => {
    const a = await cluster.add()
    proc = NodeProcess.start({ home, namespace: 'test', listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, bootstrap: [a.addrs()[0]], ttlMs: 30_000 })
    const { peerId } = await proc.line('peerId', patienceMs)
    await waitFor(() => a.lookup(peerId) !== undefined, patienceMs, 'the child to join')
    proc.kill('SIGTERM')
    // its TTL is 30 s: gone sooner means it sent its leave
    await waitFor(() => a.lookup(peerId) === undefined, patienceMs, 'the child to leave')
    assert.equal(await proc.exited, 0)
  })
})
