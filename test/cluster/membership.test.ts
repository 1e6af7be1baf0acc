import assert from 'node:assert/strict'
import { lpStream } from '@libp2p/utils'
import { clusterLimits } from '../../src/cluster/index.js'
import { LocalCluster, peersOf, waitFor, patienceMs } from './helpers.js'

describe('cluster: membership over real nodes on 127.0.0.1', function () {
  this.timeout(60_000)
  let cluster: LocalCluster

  beforeEach(() => { cluster = new LocalCluster() })
  afterEach(async () => { await cluster.stop() })

  it('three nodes each list all three, told at once by each join, not at the next heartbeat', async () => {
    // A TTL of ten minutes: no periodic heartbeat falls within the test, so only what a join sends can converge them.
    const ttlMs = 600_000
    const a = await cluster.add({ ttlMs })
    const b = await cluster.add({ ttlMs })
    const c = await cluster.add({ ttlMs })
    const all = [a.peerId, b.peerId, c.peerId].sort()
    await waitFor(() => cluster.nodes.every(n => peersOf(n).join() === all.join()), patienceMs, 'all three to list all three')
    for (const n of cluster.nodes) {
      const rec = n.lookup(c.peerId)
      assert.ok(rec !== undefined)
      assert.equal(rec.instance, c.membership.instance)
      assert.ok(rec.addrs.some(x => x.includes('/ip4/127.0.0.1/tcp/')), rec.addrs.join(' '))
    }
  })

  it('a gracefully stopped node disappears from the others by its leave, long before its TTL', async () => {
    // c's record would expire ten minutes after its last heartbeat: it can vanish within the test only by its leave.
    const a = await cluster.add()
    const b = await cluster.add()
    const c = await cluster.add({ ttlMs: 600_000 })
    await waitFor(() => cluster.nodes.every(n => n.ls().length === 3), patienceMs, 'convergence')
    const left: string[] = []
    a.table.watch(ev => { if (ev.type === 'leave') left.push(ev.record.peer) })
    await c.stop()
    const listing = (): string => Object.entries({ a, b }).filter(([, n]) => n.lookup(c.peerId) !== undefined).map(([name]) => name).join(' and ')
    await waitFor(() => listing() === '', patienceMs, 'c to vanish').catch((err: Error) => { throw new Error(`${err.message}: ${listing()} still list it`) })
    assert.deepEqual(left, [c.peerId])
    assert.deepEqual(peersOf(a), [a.peerId, b.peerId].sort())
  })

  it('a live host is never dropped, however many probe intervals pass', async () => {
    // A short TTL: probes every 100 ms, a suspicion times out within 1 s; a host that answers stays listed.
    const ttlMs = 2_000
    const a = await cluster.add({ ttlMs })
    const b = await cluster.add({ ttlMs, random: () => 0.999 })
    await waitFor(() => a.lookup(b.peerId) !== undefined, patienceMs, 'a to list b')
    const left: string[] = []
    a.table.watch(ev => { if (ev.type === 'leave') left.push(ev.record.peer) })
    // Count probes, not seconds: three TTLs of probes by each, however slowly the machine runs them.
    const probes = (): number => Math.min(a.membership.swim.stats.probes, b.membership.swim.stats.probes)
    const start = probes()
    const perTtl = ttlMs / a.membership.swim.params.probeIntervalMs
    await waitFor(() => probes() >= start + 3 * perTtl, 6 * ttlMs + patienceMs, 'three TTLs of probes')
    assert.deepEqual(left, [], 'b was dropped while it answered')
    assert.ok(a.lookup(b.peerId) !== undefined)
  })

  it('filters hosts by every where k=v pair', async () => {
    const a = await cluster.add({ meta: ['zone=eu', 'gpu=yes'] })
    const b = await cluster.add({ meta: ['zone=eu', 'gpu=no'] })
    const c = await cluster.add({ meta: ['zone=us'] })
    await waitFor(() => cluster.nodes.every(n => n.ls().length === 3), patienceMs, 'convergence')
    for (const n of cluster.nodes) {
      assert.deepEqual(n.ls(['zone=eu']).map(r => r.peer), [a.peerId, b.peerId].sort())
      assert.deepEqual(n.ls(['zone=eu', 'gpu=yes']).map(r => r.peer), [a.peerId])
      assert.deepEqual(n.ls(['zone=us']).map(r => r.peer), [c.peerId])
      assert.deepEqual(n.ls(['zone=mars']), [])
      assert.equal(n.ls([]).length, 3)
    }
    assert.throws(() => a.ls(['novalue']), { name: 'InvalidArgument' })
  })

  it('malformed SWIM messages are rejected and change nothing', async () => {
    const a = await cluster.add()
    const b = await cluster.add()
    await waitFor(() => cluster.nodes.every(n => n.ls().length === 2), patienceMs, 'convergence')
    const before = a.lookup(b.peerId)!
    const rejectedBefore = a.membership.stats.rejected
    const garbage = [
      new Uint8Array([1, 2, 3]),
      new Uint8Array(64).fill(0xff),
      new Uint8Array([4, 0, 0, 0, 0, 1, 1, 0xff, 0xff]), // a gossip message whose record runs past the end
      new Uint8Array(clusterLimits.maxSwimMessageBytes + 1) // oversized
    ]
    for (const g of garbage) {
      const stream = await b.libp2p.dialProtocol(a.libp2p.peerId, `/ww/${a.namespace}/swim/1.0.0`)
      const lp = lpStream(stream, { maxDataLength: 1 << 20 })
      await lp.write(g)
      await stream.close().catch(() => {})
    }
    await waitFor(() => a.membership.stats.rejected >= rejectedBefore + garbage.length, patienceMs, 'rejections')
    assert.equal(a.lookup(b.peerId)?.instance, before.instance)
    assert.deepEqual(peersOf(a), [a.peerId, b.peerId].sort())
  })
})
