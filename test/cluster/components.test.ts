// The cluster's modules take the narrow parts of the libp2p node they use (src/cluster/components.ts), here built
// from real nodes on 127.0.0.1.
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { clusterComponents, SwimTransport } from '../../src/cluster/index.js'
import { LocalCluster, waitFor, patienceMs } from './helpers.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return e.name.endsWith('.ts') ? [path] : []
  })
}

describe('cluster: components, the narrow parts of the libp2p node', function () {
  this.timeout(60_000)
  let cluster: LocalCluster
  beforeEach(() => { cluster = new LocalCluster() })
  afterEach(async () => { await cluster.stop() })

  it('only cluster/node.ts (which starts the node) and components.ts (which cuts it into parts) hold the whole libp2p node', () => {
    const allowed = ['src/cluster/node.ts', 'src/cluster/components.ts', 'src/cluster/index.ts']
    const wrong: string[] = []
    for (const file of sourceFiles(join(root, 'src'))) {
      const rel = relative(root, file)
      if (allowed.includes(rel)) continue
      const text = readFileSync(file, 'utf8')
      if (/\b(Libp2p|ClusterLibp2p)\b/.test(text)) wrong.push(`${rel} names the Libp2p type`)
      if (/\.libp2p\b/.test(text)) wrong.push(`${rel} reads ClusterNode.libp2p`)
    }
    assert.deepEqual(wrong, [])
  })

  it('each part holds only its own methods of the node, bound to it', async () => {
    const a = await cluster.add({ dht: false })
    const parts = clusterComponents(a.libp2p)
    assert.deepEqual(Object.keys(parts.connectionManager).sort(), ['dial', 'dialProtocol', 'getConnections', 'getPeers'])
    assert.deepEqual(Object.keys(parts.registrar).sort(), ['handle', 'unhandle'])
    assert.deepEqual(Object.keys(parts.events).sort(), ['addEventListener', 'removeEventListener'])
    assert.deepEqual(Object.keys(parts.addressManager), ['getMultiaddrs'])
    assert.equal('services' in parts.connectionManager, false, 'no way from a part to the node\'s services')
    assert.deepEqual(parts.addressManager.getMultiaddrs().map(String), a.addrs())
    assert.equal(parts.pubsub, a.libp2p.services.pubsub)
    assert.equal(parts.peerId.toString(), a.peerId)
  })

  it('a SwimTransport handed only a connection manager and a registrar dials a member by address and carries its messages', async () => {
    // Two separate nodes: no bootstrap, so only the transport under test connects them.
    const a = await cluster.add({ bootstrap: [], dht: false })
    const b = await cluster.add({ bootstrap: [], dht: false })
    assert.equal(a.components.connectionManager.getConnections(b.libp2p.peerId).length, 0)
    const protocol = '/test/components-swim/1.0.0'
    const got: Array<[string, string]> = []
    const into = new SwimTransport({ connectionManager: b.components.connectionManager, registrar: b.components.registrar }, protocol, () => undefined)
    into.onMessage = (from, bytes) => { got.push([from, Buffer.from(bytes).toString()]) }
    await into.start()
    const out = new SwimTransport({ connectionManager: a.components.connectionManager, registrar: a.components.registrar }, protocol,
      peer => peer === b.peerId ? b.addrs() : undefined)
    await out.start()
    out.send(b.peerId, Buffer.from('ping'))
    out.send(b.peerId, Buffer.from('again'))
    await waitFor(() => got.length === 2, patienceMs, 'both messages')
    assert.deepEqual(got, [[a.peerId, 'ping'], [a.peerId, 'again']])
    assert.ok(out.isConnected(b.peerId), 'the transport dialed b at its recorded address')
    await out.stop(1_000)
    await into.stop(1_000)
  })
})
