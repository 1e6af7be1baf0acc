import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MemberDialer } from '../../src/cluster/member-dialer.js'
import { LocalCluster, waitFor, patienceMs } from './helpers.js'

describe('cluster: member dials', function () {
  this.timeout(60_000)
  let cluster: LocalCluster
  beforeEach(() => { cluster = new LocalCluster() })
  afterEach(async () => { await cluster.stop() })

  it('a burst of members is dialed up to the limit, dials in flight included, and only by the lower peer ID', async () => {
    const keys = await Promise.all(Array.from({ length: 6 }, async () => await generateKeyPair('Ed25519')))
    keys.sort((a, b) => peerIdFromPrivateKey(a).toString() < peerIdFromPrivateKey(b).toString() ? -1 : 1)
    // Separate clusters: no bootstrap, no member dials of their own; only the dialer under test connects them.
    const nodes = []
    for (const privateKey of keys) nodes.push(await cluster.add({ privateKey, bootstrap: [], maxMemberDials: 0, dht: false }))
    const [low, ...higher] = nodes.slice(0, 5)
    const highest = nodes[5]

    const dialer = new MemberDialer(low.components, { maxPeers: 2, minDelayMs: 0, maxDelayMs: 0 })
    for (const n of higher) dialer.now({ id: n.libp2p.peerId, multiaddrs: n.addrs().map(a => multiaddr(a)) })
    await waitFor(() => low.libp2p.getPeers().length >= 2, patienceMs, 'two dials to complete')
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal(low.libp2p.getPeers().length, 2, 'the burst did not overshoot the limit')

    // The highest peer ID never dials a lower one.
    const top = new MemberDialer(highest.components, { maxPeers: 4, minDelayMs: 0, maxDelayMs: 0 })
    top.now({ id: higher[0].libp2p.peerId, multiaddrs: higher[0].addrs().map(a => multiaddr(a)) })
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal(highest.libp2p.getPeers().length, 0)

    // A member heard of by heartbeat is dialed after the delay, from its peer ID and address strings.
    const mid = higher[3]
    const later = new MemberDialer(mid.components, { maxPeers: 4, minDelayMs: 100, maxDelayMs: 200 })
    later.later('not a peer ID', [])
    later.later(highest.peerId, highest.addrs())
    assert.equal(mid.libp2p.getConnections(highest.libp2p.peerId).length, 0, 'not before the delay')
    await waitFor(() => mid.libp2p.getConnections(highest.libp2p.peerId).length > 0, patienceMs, 'the later dial')

    // A ring neighbour is dialed at once, past the limit, from its peer ID and address strings; by the lower ID only.
    dialer.neighbour(higher[2].peerId, higher[2].addrs())
    await waitFor(() => low.libp2p.getConnections(higher[2].libp2p.peerId).length > 0, patienceMs, 'the neighbour dial')
    assert.equal(low.libp2p.getPeers().length, 3)
    top.neighbour(higher[1].peerId, higher[1].addrs())
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal(highest.libp2p.getConnections(higher[1].libp2p.peerId).length, 0)
    dialer.stop()
    top.stop()
    later.stop()
  })
})
