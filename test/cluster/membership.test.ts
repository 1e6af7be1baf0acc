import assert from 'node:assert/strict'
import { LocalCluster, peersOf, waitFor } from './helpers.js'

describe('cluster: membership over real nodes on 127.0.0.1', function () {
  this.timeout(30_000)
  let cluster: LocalCluster

  beforeEach(() => { cluster = new LocalCluster() })
  afterEach(async () => { await cluster.stop() })

  it('three nodes each list all three within 3 s', async () => {
    const started = Date.now()
    const a = await cluster.add()
    const b = await cluster.add()
    const c = await cluster.add()
    const all = [a.peerId, b.peerId, c.peerId].sort()
    await waitFor(() => cluster.nodes.every(n => peersOf(n).join() === all.join()), 3_000, 'all three to list all three')
    const elapsed = Date.now() - started
    assert.ok(elapsed <= 3_000, `converged in ${elapsed} ms`)
    for (const n of cluster.nodes) {
      const rec = n.lookup(c.peerId)
      assert.ok(rec !== undefined)
      assert.equal(rec.instance, c.membership.instance)
      assert.ok(rec.addrs.some(x => x.includes('/ip4/127.0.0.1/tcp/')), rec.addrs.join(' '))
    }
  })

  it('a gracefully stopped node disappears from the others within 1 s', async () => {
    const a = await cluster.add()
    const b = await cluster.add()
    const c = await cluster.add({ ttlMs: 30_000 })
    await waitFor(() => cluster.nodes.every(n => n.ls().length === 3), 5_000, 'convergence')
    const left: string[] = []
    a.table.watch(ev => { if (ev.type === 'leave') left.push(ev.record.peer) })
    const t0 = Date.now()
    await c.stop()
    await waitFor(() => a.lookup(c.peerId) === undefined && b.lookup(c.peerId) === undefined, 1_000, 'c to vanish')
    assert.ok(Date.now() - t0 <= 1_000)
    assert.deepEqual(left, [c.peerId])
    assert.deepEqual(peersOf(a), [a.peerId, b.peerId].sort())
  })

  it('a host whose every heartbeat comes at the longest interval is never dropped', async () => {
    const ttlMs = 1_000
    const a = await cluster.add({ ttlMs })
    const b = await cluster.add({ ttlMs, random: () => 0.999 })
    await waitFor(() => a.lookup(b.peerId) !== undefined, 5_000, 'a to list b')
    const left: string[] = []
    a.table.watch(ev => { if (ev.type === 'leave') left.push(ev.record.peer) })
    await new Promise(resolve => setTimeout(resolve, 4 * ttlMs))
    assert.deepEqual(left, [], 'b was dropped between two heartbeats')
    assert.ok(a.lookup(b.peerId) !== undefined)
    assert.ok(b.membership.stats.published >= 6, `b published ${b.membership.stats.published} heartbeats`)
  })

  it('filters hosts by every where k=v pair', async () => {
    const a = await cluster.add({ meta: ['zone=eu', 'gpu=yes'] })
    const b = await cluster.add({ meta: ['zone=eu', 'gpu=no'] })
    const c = await cluster.add({ meta: ['zone=us'] })
    await waitFor(() => cluster.nodes.every(n => n.ls().length === 3), 5_000, 'convergence')
    for (const n of cluster.nodes) {
      assert.deepEqual(n.ls(['zone=eu']).map(r => r.peer), [a.peerId, b.peerId].sort())
      assert.deepEqual(n.ls(['zone=eu', 'gpu=yes']).map(r => r.peer), [a.peerId])
      assert.deepEqual(n.ls(['zone=us']).map(r => r.peer), [c.peerId])
      assert.deepEqual(n.ls(['zone=mars']), [])
      assert.equal(n.ls([]).length, 3)
    }
    assert.throws(() => a.ls(['novalue']), { name: 'InvalidArgument' })
  })

  it('a malformed heartbeat published raw on the topic is rejected and changes nothing', async () => {
    const a = await cluster.add()
    const b = await cluster.add()
    await waitFor(() => cluster.nodes.every(n => n.ls().length === 2), 5_000, 'convergence')
    // Wait until b is in a's mesh for the cluster topic, so the raw message surely reaches a.
    const topic = `/ww/${a.namespace}/cluster`
    await waitFor(() => b.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(a.libp2p.peerId)), 5_000, 'subscription')
    const before = a.lookup(b.peerId)
    const rejectedBefore = a.membership.stats.rejected
    const garbage = [
      new Uint8Array([1, 2, 3]),
      new Uint8Array(64).fill(0xff),
      new Uint8Array(32 * 1024) // oversized
    ]
    for (const g of garbage) await b.libp2p.services.pubsub.publish(topic, g)
    await waitFor(() => a.membership.stats.rejected >= rejectedBefore + garbage.length, 5_000, 'rejections')
    assert.deepEqual(a.lookup(b.peerId), before)
    assert.deepEqual(peersOf(a), [a.peerId, b.peerId].sort())
  })
})
