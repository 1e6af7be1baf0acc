import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { heartbeatWire } from '../../src/caps/heartbeat.js'
import { ClusterNode, clusterLimits, kadProtocol, rpcProtocol, clusterTopic, userTopic } from '../../src/cluster/index.js'
import { LocalCluster, waitFor, patienceMs } from './helpers.js'

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

describe('cluster: node', function () {
  this.timeout(90_000)
  let cluster: LocalCluster
  beforeEach(() => { cluster = new LocalCluster() })
  afterEach(async () => { await cluster.stop() })

  it('keeps dialing a bootstrap peer that is not up yet, and joins it once it is', async () => {
    const key = await generateKeyPair('Ed25519')
    const port = await freePort()
    const addr = `/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdFromPrivateKey(key).toString()}`
    const early = await cluster.add({ bootstrap: [addr] })
    await new Promise(resolve => setTimeout(resolve, 1_000))
    assert.equal(early.libp2p.getConnections().length, 0)
    const late = await cluster.add({ privateKey: key, listen: [`/ip4/127.0.0.1/tcp/${port}`], bootstrap: [] })
    // early retries with a backoff of up to bootstrapRetryMaxMs: its next dial may be that far off
    await waitFor(() => early.ls().length === 2 && late.ls().length === 2, clusterLimits.bootstrapRetryMaxMs + patienceMs, 'the two to find each other')
  })

  it('refuses bad options with InvalidArgument', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const bad = [
      { namespace: 'has space' },
      { namespace: '' },
      { ttlMs: 5 },
      { meta: ['novalue'] },
      { listen: ['not a multiaddr'] },
      { bootstrap: ['/ip4/127.0.0.1/tcp/1'] } // no /p2p/<peer ID>
    ]
    for (const options of bad) {
      await assert.rejects(ClusterNode.start({ privateKey, heartbeatWire, mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], ...options }), { name: 'InvalidArgument' }, JSON.stringify(options))
    }
    await assert.rejects(ClusterNode.start({ heartbeatWire, mdns: false }), { name: 'InvalidArgument' })
  })

  it('names its protocols and topics by namespace', () => {
    assert.equal(kadProtocol('lab'), '/ww/lab/kad/1.0.0')
    assert.equal(rpcProtocol('lab'), '/ww/lab/rpc/0.1.0')
    assert.equal(rpcProtocol('lab', '2.0.0'), '/ww/lab/rpc/2.0.0')
    assert.equal(clusterTopic('lab'), '/ww/lab/cluster')
    assert.equal(userTopic('lab', 'news'), '/ww/lab/topic/news')
  })

  it('nodes of different namespaces do not see each other', async () => {
    const a = await cluster.add({ namespace: 'red' })
    const b = await cluster.add({ namespace: 'blue' })
    const c = await cluster.add({ namespace: 'red' })
    await waitFor(() => a.ls().length === 2 && c.ls().length === 2, patienceMs, 'red to converge')
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.deepEqual(b.ls().map(r => r.peer), [b.peerId])
    assert.ok(a.lookup(b.peerId) === undefined)
  })
})
