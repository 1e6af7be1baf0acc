// Subscribers of a user topic stay connected to each other when the ring would not connect them: each host's record
// lists hashes of its topics (Heartbeat.topics), and peers sharing one are kept and dialed (node.ts).
import assert from 'node:assert/strict'
import { ringNeighbours } from '../../src/cluster/ring.js'
import { deploymentsTopic } from '../../src/cluster/names.js'
import { topicHash } from '../../src/cluster/topic-hash.js'
import type { ClusterNode } from '../../src/cluster/index.js'
import { LocalCluster, waitFor, patienceMs } from './helpers.js'

const openPeers = (node: ClusterNode): Set<string> =>
  new Set(node.libp2p.getConnections().filter(c => c.status === 'open').map(c => c.remotePeer.toString()))
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('cluster: subscribers of a topic find each other on a trimmed cluster', function () {
  this.timeout(8 * patienceMs)
  const cluster = new LocalCluster()
  const graceMs = 1_500
  after(async () => { await cluster.stop() })

  it('two subscribers that are not ring neighbours connect, exchange messages, and are trimmed once one leaves the topic', async () => {
    await cluster.add({ idleConnectionGraceMs: graceMs })
    await Promise.all(Array.from({ length: 6 }, async () => await cluster.add({ idleConnectionGraceMs: graceMs })))
    const nodes = cluster.nodes
    for (const n of nodes) n.libp2p.services.pubsub.subscribe(deploymentsTopic('test'))
    await waitFor(() => nodes.every(n => n.ls().length === 7), patienceMs, 'every node to list all 7')
    const ringOf = (n: ClusterNode): Set<string> => ringNeighbours(n.peerId, nodes.map(x => x.peerId), 2)
    const a = nodes[0]
    const b = nodes.find(n => n !== a && !ringOf(a).has(n.peerId))!
    assert.ok(b !== undefined, '7 nodes with 2 neighbours per side leave two that are not a\'s')
    await waitFor(() => !openPeers(a).has(b.peerId) && !openPeers(b).has(a.peerId), 3 * patienceMs, 'a and b to be trimmed apart')

    const subA = a.pubsub.join('far').subscribe()
    const subB = b.pubsub.join('far').subscribe()
    const hash = topicHash('/ww/test/topic/far')
    await waitFor(() => a.lookup(b.peerId)?.topics?.includes(hash) === true && b.lookup(a.peerId)?.topics?.includes(hash) === true,
      patienceMs, 'each record to list the topic')
    const wire = a.pubsub.join('far').wireName
    const knows = (x: ClusterNode, y: ClusterNode): boolean => x.libp2p.services.pubsub.getSubscribers(wire).some(p => p.toString() === y.peerId)
    await waitFor(() => knows(a, b) && knows(b, a), 2 * patienceMs, 'a and b to connect and see each other\'s subscription')
    // Past the grace period the connection is still there: it carries only cluster protocols, but the topic keeps it.
    await new Promise(resolve => setTimeout(resolve, 3 * graceMs))
    assert.ok(openPeers(a).has(b.peerId), 'the subscribers\' connection was kept')

    await a.pubsub.join('far').publish(enc('from a'))
    await waitFor(() => subB.length > 0, patienceMs, 'b to receive a\'s message')
    const atB = await subB.next()
    assert.equal(dec(atB!.data), 'from a')
    assert.equal(atB!.from, a.peerId)
    await b.pubsub.join('far').publish(enc('from b'))
    await waitFor(() => subA.length > 1, patienceMs, 'a to receive b\'s message (after its own)')
    assert.equal(dec((await subA.next())!.data), 'from a')
    const atA = await subA.next()
    assert.equal(dec(atA!.data), 'from b')
    assert.equal(atA!.from, b.peerId)

    subB.close()
    await waitFor(() => a.lookup(b.peerId)?.topics?.length === 0, patienceMs, 'b\'s record to drop the topic')
    await waitFor(() => !openPeers(a).has(b.peerId), 3 * patienceMs, 'the connection to be trimmed once b left the topic')
    subA.close()
  })
})
