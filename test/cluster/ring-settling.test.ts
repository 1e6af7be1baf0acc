// While the members change, a host's SWIM ring is about to be rebuilt: probes and gossip go over connections already
// open, not to neighbours that would cost a handshake for a connection soon closed again. Once the members settle,
// the new ring's neighbours are handed over to be dialed (membership.ts onRingSettled).
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { heartbeatWire } from '../../src/caps/heartbeat.js'
import { HeartbeatCodec, Membership, RoutingTable, clusterLimits, type Heartbeat } from '../../src/cluster/index.js'
import { ringNeighbours } from '../../src/cluster/ring.js'
import { waitFor, patienceMs } from './helpers.js'

const hb = (): Heartbeat => ({ instance: 1n, hostname: 'h', meta: [], ttlMs: 10_000, addrs: [], leaving: false, issuedAtMs: Date.now() })

describe('cluster: membership while the members change', function () {
  this.timeout(patienceMs + 2 * clusterLimits.ringMaxStaleMs)
  const table = new RoutingTable()
  const connected = new Set<string>()
  const settled: Array<Set<string>> = []
  let membership: Membership
  let self: string
  before(async () => {
    const privateKey = await generateKeyPair('Ed25519')
    self = peerIdFromPrivateKey(privateKey).toString()
    membership = new Membership({
      privateKey,
      table,
      topic: 'ring-settling-test',
      codec: new HeartbeatCodec(heartbeatWire),
      ttlMs: 10_000,
      hostname: 'self',
      meta: [],
      addrs: () => [],
      send: () => {},
      isConnected: peer => connected.has(peer),
      onRingSettled: ring => { settled.push(new Set(ring)) }
    })
    await membership.start()
  })
  after(async () => { await membership.stop(); table.close() })

  it('probes and gossips only to connected members until the ring settles, then hands its neighbours over once', async () => {
    const first = Array.from({ length: 6 }, (_, i) => `member-${i}`)
    for (const p of first) table.apply(p, 1n, hb())
    // As node.ts does on every connection:open.
    connected.add('member-0')
    membership.connected('member-0')
    assert.ok(membership.probeTarget() !== undefined, 'the first ring is computed at the first probe')
    const later = Array.from({ length: 6 }, (_, i) => `member-${6 + i}`)
    for (const p of later) table.apply(p, 1n, hb())
    for (let i = 0; i < 40; i++) assert.equal(membership.probeTarget(), 'member-0', 'a probe while the ring settles')
    for (let i = 0; i < 10; i++) assert.deepEqual(membership.gossipTargets(3), ['member-0'], 'gossip while the ring settles')
    assert.equal(settled.length, 0)

    await waitFor(() => settled.length > 0, clusterLimits.ringMaxStaleMs + patienceMs, 'the ring to settle')
    const members = [...first, ...later]
    const ring = ringNeighbours(self, members, clusterLimits.ringNeighboursPerSide)
    assert.deepEqual(settled, [ring])
    const probed = new Set(Array.from({ length: 80 }, () => membership.probeTarget()))
    assert.ok([...ring].every(p => probed.has(p)), `probes reach every ring neighbour once it settled (probed ${[...probed].join(' ')})`)
  })
})
