import assert from 'node:assert/strict'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import { kadProtocol, type ClusterNode } from '../../src/cluster/index.js'
import { closestPeerTaggerRunning, dhtUpkeepIntervals } from '../../src/cluster/dht-upkeep.js'
import { clusterLimits } from '../../src/cluster/limits.js'
import { LocalCluster, waitFor, patienceMs } from './helpers.js'

/** What a test reads of kad-dht's routing table (not exported by the package). */
interface RoutingTableView {
  find: (peer: PeerId) => Promise<PeerId | undefined>
  addEventListener: (type: 'peer:ping', listener: (evt: CustomEvent<PeerId>) => void) => void
}

/** Asks `node`'s DHT for `peer`, again until `timeoutMs` (the serving node adds peers once identify and a ping are done). */
async function findPeer (node: ClusterNode, peer: PeerId, timeoutMs: number): Promise<PeerInfo> {
  const dht = node.libp2p.services.dht
  assert.ok(dht !== undefined, 'the node runs kad-dht')
  const started = Date.now()
  while (true) {
    let failure = 'no answer'
    try {
      for await (const event of dht.findPeer(peer, { signal: AbortSignal.timeout(10_000) })) {
        if (event.name === 'FINAL_PEER') return event.peer
      }
    } catch (err: any) {
      failure = err?.message ?? String(err)
    }
    if (Date.now() - started > timeoutMs) throw new Error(`the DHT did not find ${peer.toString()} in ${timeoutMs} ms: ${failure}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

describe('cluster: kad-dht over real nodes on 127.0.0.1', function () {
  this.timeout(90_000)
  let cluster: LocalCluster
  beforeEach(() => { cluster = new LocalCluster() })
  afterEach(async () => { await cluster.stop() })

  it('serves the namespaced protocol in server mode, and a query through one node finds a peer the asker never met', async () => {
    // b and c are each connected to a only (and refuse each other: SWIM's gossip may pick any member): b can learn
    // c's address only by asking a's DHT.
    let bId = ''
    let cId = ''
    const a = await cluster.add({ maxMemberDials: 0 })
    const b = await cluster.add({ maxMemberDials: 0, refusePeer: p => p === cId })
    bId = b.peerId
    const c = await cluster.add({ maxMemberDials: 0, refusePeer: p => p === bId })
    cId = c.peerId
    await waitFor(() => [a, b, c].every(n => n.ls().length === 3), patienceMs, 'the three to converge')
    for (const n of [a, b, c]) {
      assert.equal(n.libp2p.services.dht?.getMode(), 'server')
      assert.ok(n.libp2p.getProtocols().includes(kadProtocol('test')), `protocols: ${n.libp2p.getProtocols().join(' ')}`)
    }
    assert.equal(b.libp2p.getConnections(c.libp2p.peerId).length, 0, 'b is not connected to c')
    const known = await b.libp2p.peerStore.get(c.libp2p.peerId).then(p => p.addresses, () => [])
    assert.equal(known.length, 0, 'b has no address for c before the query')

    const found = await findPeer(b, c.libp2p.peerId, patienceMs)
    assert.ok(found.id.equals(c.libp2p.peerId))
    const ports = c.addrs().map(addr => addr.split('/')[4])
    assert.ok(found.multiaddrs.some(m => ports.includes(m.toString().split('/')[4])), `found ${found.multiaddrs.map(m => m.toString()).join(' ')}, c listens on ${c.addrs().join(' ')}`)
  })

  it('queries for itself and refreshes its table hourly, the first time too, not every 5 minutes (each dials every host of a small cluster)', async () => {
    const a = await cluster.add()
    const dht = a.libp2p.services.dht
    assert.ok(dht !== undefined, 'the node runs kad-dht')
    assert.deepEqual(dhtUpkeepIntervals(dht), { tableRefreshMs: clusterLimits.dhtUpkeepIntervalMs, selfQueryMs: clusterLimits.dhtUpkeepIntervalMs })
    assert.ok(clusterLimits.dhtUpkeepIntervalMs >= 3_600_000 && clusterLimits.dhtSelfQueryDelayMs >= 3_600_000)
  })

  it('adds a peer that connected to its table without pinging it first (one stream less on each side per connection)', async () => {
    const a = await cluster.add({ maxMemberDials: 0 })
    const table = (a.libp2p.services.dht as unknown as { routingTable: RoutingTableView }).routingTable
    const pinged: string[] = []
    table.addEventListener('peer:ping', (evt) => { pinged.push(evt.detail.toString()) })
    const b = await cluster.add({ maxMemberDials: 0 })
    let listed = false
    await waitFor(() => {
      void table.find(b.libp2p.peerId).then(p => { listed = p !== undefined })
      return listed
    }, patienceMs, 'a to add b to its DHT table')
    assert.deepEqual(pinged, [], 'a pinged a peer connected to it')
  })

  it('does not run kad-dht\'s closest-peer tagger (its 5 s check; which connections live is the membership\'s choice)', async () => {
    const a = await cluster.add()
    const dht = a.libp2p.services.dht
    assert.ok(dht !== undefined, 'the node runs kad-dht')
    assert.equal(closestPeerTaggerRunning(dht), false)
  })
})
