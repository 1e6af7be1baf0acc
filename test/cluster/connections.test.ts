// Which connections a settled host keeps: its ring neighbours (ring.ts) and connections in use; idle others are
// closed (connection-trimmer.ts) and nothing dials them again.
import assert from 'node:assert/strict'
import { ringNeighbours } from '../../src/cluster/ring.js'
import { deploymentsTopic } from '../../src/cluster/names.js'
import type { ClusterNode } from '../../src/cluster/index.js'
import { LocalCluster, waitFor, patienceMs } from './helpers.js'

const openPeers = (node: ClusterNode): Set<string> =>
  new Set(node.libp2p.getConnections().filter(c => c.status === 'open').map(c => c.remotePeer.toString()))

describe('cluster: connections a settled host keeps', function () {
  this.timeout(4 * patienceMs)

  it('ring neighbours are symmetric, 2 per side, and everyone in a cluster of up to 5', () => {
    let seed = 7
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
    for (let n = 1; n <= 40; n++) {
      const members = Array.from({ length: n }, () => random().toString(36).slice(2))
      for (const a of members) {
        const mine = ringNeighbours(a, members, 2)
        assert.equal(mine.size, Math.min(4, n - 1), `${n} members`)
        assert.ok(!mine.has(a))
        for (const b of mine) assert.ok(ringNeighbours(b, members, 2).has(a), `${a} keeps ${b} but not the other way round (${n} members)`)
      }
    }
  })

  describe('8 nodes on 127.0.0.1, idle connections closed after 1.5 s', () => {
    const cluster = new LocalCluster()
    const graceMs = 1_500
    after(async () => { await cluster.stop() })

    it('every node ends connected to its ring neighbours only, and no connection opens once settled', async () => {
      const first = await cluster.add({ idleConnectionGraceMs: graceMs })
      await Promise.all(Array.from({ length: 7 }, async () => await cluster.add({ idleConnectionGraceMs: graceMs })))
      const nodes = cluster.nodes
      // Every host subscribes to the namespace's internal topics (deployments, as a host does): they keep no connection.
      for (const n of nodes) n.libp2p.services.pubsub.subscribe(deploymentsTopic('test'))
      await waitFor(() => nodes.every(n => n.ls().length === 8), patienceMs, 'every node to list all 8')
      const ringOf = (n: ClusterNode): Set<string> => ringNeighbours(n.peerId, nodes.map(x => x.peerId), 2)
      // The bootstrap peer starts connected to all 7; gossip and the joins connected others. Probes connect each
      // node to its ring neighbours.
      const settled = (n: ClusterNode): boolean => {
        const open = openPeers(n)
        const ring = ringOf(n)
        return open.size === ring.size && [...open].every(p => ring.has(p))
      }
      await waitFor(() => nodes.every(settled), 3 * patienceMs, 'every node connected to its ring neighbours and no other')
      assert.ok(openPeers(first).size <= 4, `the bootstrap peer holds ${openPeers(first).size} connections`)

      let opened = 0
      const count = (): void => { opened++ }
      for (const n of nodes) n.libp2p.addEventListener('connection:open', count)
      await new Promise(resolve => setTimeout(resolve, 4 * graceMs))
      for (const n of nodes) n.libp2p.removeEventListener('connection:open', count)
      assert.equal(opened, 0, 'connections opened in a settled cluster (each a noise handshake)')
      for (const n of nodes) assert.equal(n.ls().length, 8, 'every node still lists all 8')
      for (const n of nodes) assert.ok(openPeers(n).size <= 4, `a node holds ${openPeers(n).size} connections`)
    })

    it('a connection carrying another protocol (a host RPC session) stays open past the grace period', async () => {
      const nodes = cluster.nodes
      const [a, b] = (() => {
        for (const x of nodes) {
          const far = nodes.find(y => y !== x && !ringNeighbours(x.peerId, nodes.map(z => z.peerId), 2).has(y.peerId))
          if (far !== undefined) return [x, far]
        }
        throw new Error('no two nodes that are not ring neighbours')
      })()
      const protocol = '/ww/test/held/1.0.0'
      await b.libp2p.handle(protocol, (stream) => { stream.addEventListener('message', evt => { stream.send(evt.data) }) })
      const stream = await a.libp2p.dialProtocol(b.libp2p.peerId, protocol)
      await new Promise(resolve => setTimeout(resolve, 3 * graceMs))
      assert.ok(openPeers(a).has(b.peerId), 'the connection in use was kept')
      stream.abort(new Error('session over'))
      await waitFor(() => !openPeers(a).has(b.peerId), 3 * patienceMs, 'the connection to be closed once idle')
    })
  })
})
