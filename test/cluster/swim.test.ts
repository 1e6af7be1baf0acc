// SWIM in real nodes on 127.0.0.1: probing removes a host that stops answering, a wrongly suspected host refutes,
// a lying member can neither evict nor impersonate another, and two halves of a partition merge back.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { ClusterNode } from '../../src/cluster/index.js'
import { encodeMessage, type Update } from '../../src/cluster/swim/wire.js'
import { signHeartbeat } from './hand-over.js'
import { LocalCluster, peersOf, waitFor, patienceMs } from './helpers.js'

/** Sends `updates` in a gossip message from `from` to `to`, over from's SWIM transport. */
function tell (from: ClusterNode, to: ClusterNode, updates: Update[]): void {
  from.swimTransport.send(to.peerId, encodeMessage({ kind: 'gossip', seq: 0, updates }))
}

/** Collects the peers `node` reports leaving. */
function leavesSeenBy (node: ClusterNode): string[] {
  const left: string[] = []
  node.table.watch(ev => { if (ev.type === 'leave') left.push(ev.record.peer) })
  return left
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

describe('cluster: SWIM over real nodes on 127.0.0.1', function () {
  this.timeout(120_000)
  let cluster: LocalCluster

  beforeEach(() => { cluster = new LocalCluster() })
  afterEach(async () => { await cluster.stop() })

  it('a host that stops answering, without a leave, is removed by the others within its TTL, as expired', async () => {
    const ttlMs = 3_000
    const a = await cluster.add({ ttlMs })
    const b = await cluster.add({ ttlMs })
    const c = await cluster.add({ ttlMs })
    await waitFor(() => cluster.nodes.every(n => n.ls().length === 3), patienceMs, 'convergence')
    const how: string[] = []
    for (const n of [a, b]) n.table.watch(ev => { if (ev.type === 'leave' && ev.record.peer === c.peerId) how.push(ev.how) })
    // Past the start-up, when a host probes slowly until it finds itself healthy (Lifeguard's local health).
    await waitFor(() => a.membership.swim.health === 0 && b.membership.swim.health === 0, patienceMs, 'a and b to be healthy')
    // c's libp2p stops under its membership: no leave is sent, c just stops answering.
    await c.libp2p.stop()
    const stoppedAt = Date.now()
    await waitFor(() => !peersOf(a).includes(c.peerId) && !peersOf(b).includes(c.peerId), ttlMs + patienceMs, 'a and b to remove c')
    assert.deepEqual(how, ['expired', 'expired'])
    assert.ok(a.membership.swim.stats.suspected + b.membership.swim.stats.suspected >= 1, 'c was suspected first')
    console.log(`      removed within ${Date.now() - stoppedAt} ms (TTL ${ttlMs} ms)`)
  })

  it('a live host wrongly suspected refutes it with a newer record and stays listed', async () => {
    const ttlMs = 4_000
    const a = await cluster.add({ ttlMs })
    const b = await cluster.add({ ttlMs })
    const c = await cluster.add({ ttlMs })
    await waitFor(() => cluster.nodes.every(n => n.ls().length === 3), patienceMs, 'convergence')
    const left = leavesSeenBy(a)
    const before = a.lookup(b.peerId)!
    const refutedBefore = b.membership.swim.stats.refuted
    // c tells a that it suspects b: a suspects b too, and tells b, who refutes.
    tell(c, a, [{ type: 'suspect', peer: b.peerId, instance: before.instance, seq: before.seq, from: c.peerId }])
    await waitFor(() => b.membership.swim.stats.refuted > refutedBefore, patienceMs, 'b to refute')
    await waitFor(() => (a.lookup(b.peerId)?.seq ?? 0n) > before.seq, patienceMs, 'a to hold b\'s newer record')
    assert.equal(a.membership.swim.isSuspected(b.peerId), false, 'the refutation ended the suspicion')
    // Longer than any suspicion could last: b is still listed, never removed.
    await sleep(a.membership.swim.params.suspicionMaxMs + 500)
    assert.deepEqual(left, [])
    assert.equal(a.lookup(b.peerId)?.instance, before.instance)
  })

  it('a lying member can neither evict another (suspect, dead, forged leave, replay) nor speak for it', async () => {
    const ttlMs = 4_000
    const a = await cluster.add({ ttlMs })
    const b = await cluster.add({ ttlMs })
    const c = await cluster.add({ ttlMs })
    const liar = await cluster.add({ ttlMs })
    await waitFor(() => cluster.nodes.every(n => n.ls().length === 4), patienceMs, 'convergence')
    const left = leavesSeenBy(a)
    const victim = a.lookup(b.peerId)!
    const oldRecord = await recordHeldBy(a, b)
    const liarKey = await generateKeyPair('Ed25519')
    const rejectedBefore = a.membership.stats.rejected
    // For two suspicion timeouts, the liar keeps claiming b is suspect and dead, naming itself and the others as
    // suspectors (the most confirmations a suspicion counts: its shortest timeout), forges b's leave and a record
    // in b's name, and replays b's first record.
    const until = Date.now() + 2 * a.membership.swim.params.suspicionMaxMs
    let forged = 0
    while (Date.now() < until) {
      const now = a.lookup(b.peerId) ?? victim
      const inc = { instance: now.instance, seq: now.seq }
      const leave = await signHeartbeat(a.namespace, b.libp2p.peerId, { instance: inc.instance, hostname: victim.hostname, meta: [], ttlMs, addrs: [], leaving: true, issuedAtMs: Date.now() }, inc.seq + 1n, liarKey)
      const impostor = await signHeartbeat(a.namespace, b.libp2p.peerId, { instance: inc.instance, hostname: 'impostor', meta: [], ttlMs, addrs: liar.addrs(), leaving: false, issuedAtMs: Date.now() }, inc.seq + 1n, liarKey)
      tell(liar, a, [
        { type: 'suspect', peer: b.peerId, ...inc, from: liar.peerId },
        { type: 'suspect', peer: b.peerId, ...inc, from: c.peerId },
        { type: 'dead', peer: b.peerId, ...inc, from: a.peerId },
        { type: 'dead', peer: b.peerId, ...inc, from: liar.peerId },
        { type: 'alive', record: leave },
        { type: 'alive', record: impostor },
        { type: 'alive', record: oldRecord }
      ])
      forged += 2
      await sleep(100)
    }
    assert.deepEqual(left, [], 'a removed b')
    assert.ok(peersOf(a).includes(b.peerId))
    const now = a.lookup(b.peerId)!
    assert.equal(now.hostname, victim.hostname, 'a holds a record in b\'s name that b did not sign')
    assert.deepEqual(now.addrs, b.lookup(b.peerId)!.addrs)
    assert.ok(a.membership.stats.rejected >= rejectedBefore + forged / 2, `forgeries rejected: ${a.membership.stats.rejected - rejectedBefore} of ${forged}`)
    assert.ok(b.membership.swim.stats.refuted >= 1, 'b refuted the claims')
  })

  it('two halves of a partition remove each other, then merge back when the links return', async () => {
    const ttlMs = 2_000
    let cut = false
    const groupA = new Set<string>()
    const side = (self: () => string) => (peer: string): boolean => cut && groupA.has(peer) !== groupA.has(self())
    const nodes: ClusterNode[] = []
    for (let i = 0; i < 4; i++) {
      let id = ''
      const n = await cluster.add({ ttlMs, refusePeer: side(() => id) })
      id = n.peerId
      if (i < 2) groupA.add(n.peerId)
      nodes.push(n)
    }
    const all = nodes.map(n => n.peerId).sort()
    await waitFor(() => nodes.every(n => peersOf(n).join() === all.join()), patienceMs, 'convergence')
    cut = true
    for (const n of nodes) {
      for (const conn of n.libp2p.getConnections()) {
        if (groupA.has(conn.remotePeer.toString()) !== groupA.has(n.peerId)) await conn.close().catch(() => {})
      }
    }
    const half = (n: ClusterNode): string => all.filter(p => groupA.has(p) === groupA.has(n.peerId)).join()
    await waitFor(() => nodes.every(n => peersOf(n).join() === half(n)), ttlMs + patienceMs, 'each half to remove the other')
    cut = false
    const healedIn = await waitFor(() => nodes.every(n => peersOf(n).join() === all.join()), 2 * patienceMs, 'the halves to merge back')
    console.log(`      merged back ${healedIn} ms after the links returned (reconnect interval ${nodes[0].membership.swim.params.reconnectIntervalMs} ms)`)
  })
})

/** The signed record of `author` that `holder` holds (and would hand on in a table sync). */
async function recordHeldBy (holder: ClusterNode, author: ClusterNode): Promise<Uint8Array> {
  const { verifySignedMessage, clusterTopic } = await import('../../src/cluster/index.js')
  for (const r of holder.membership.signedRecords()) {
    const msg = await verifySignedMessage(r.message, clusterTopic(holder.namespace))
    if (msg?.from.toString() === author.peerId) return r.message
  }
  throw new Error(`${holder.peerId} holds no record of ${author.peerId}`)
}
