// Endpoint names in a host's signed record: checked on decode, covered by the signature, and spread to every host.
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { RPC } from '@libp2p/gossipsub/message'
import { decodeHeartbeat, encodeHeartbeat, heartbeatCodec } from '../../src/caps/heartbeat.js'
import { clusterLimits, clusterTopic, RecordSigner, verifySignedMessage, type Heartbeat } from '../../src/cluster/index.js'
import { Heartbeat as HeartbeatStruct } from '../../src/schema/cluster.js'
import { LocalCluster, waitFor, patienceMs } from './helpers.js'

const topic = clusterTopic('test')
const record = (endpoints: string[]): Heartbeat => ({ instance: 7n, hostname: 'h', meta: [], ttlMs: 30_000, addrs: [], leaving: false, issuedAtMs: Date.now(), endpoints })

describe('cluster: endpoint names in the signed record', function () {
  this.timeout(60_000)

  it('rejects a bad name and more names than maxEndpointNames on decode', () => {
    const bad = new capnp.Message()
    bad.initRoot(HeartbeatStruct)._initEndpoints(1).set(0, 'a/b')
    assert.throws(() => decodeHeartbeat(new Uint8Array(bad.toArrayBuffer())), { name: 'InvalidArgument', message: /bad endpoint name "a\/b"/ })
    const many = new capnp.Message()
    const list = many.initRoot(HeartbeatStruct)._initEndpoints(clusterLimits.maxEndpointNames + 1)
    for (let i = 0; i < list.length; i++) list.set(i, `n${i}`)
    assert.throws(() => decodeHeartbeat(new Uint8Array(many.toArrayBuffer())), { name: 'InvalidArgument', message: /endpoints has 65 entries/ })
    const full = record(Array.from({ length: clusterLimits.maxEndpointNames }, (_, i) => `${i}`.padStart(clusterLimits.maxEndpointNameBytes, 'x')))
    assert.deepEqual(decodeHeartbeat(encodeHeartbeat(full)).endpoints, full.endpoints, 'the most names of the longest length fit in a record')
  })

  it('a name added to a signed record breaks its signature: a host cannot be made to serve what it did not sign', async () => {
    const key = await generateKeyPair('Ed25519')
    const signed = RPC.Message.decode(await new RecordSigner(key, topic, heartbeatCodec).sign(record(['svc']), 1n))
    await verifySignedMessage(RPC.Message.encode(signed), topic)
    const forged = RPC.Message.encode({ ...signed, data: encodeHeartbeat(record(['svc', 'stolen'])) })
    await assert.rejects(verifySignedMessage(forged, topic), { name: 'InvalidArgument' })
  })

  it('a host\'s new names reach every host\'s table, and leave it when it stops serving them', async () => {
    const cluster = new LocalCluster()
    try {
      const [a, b, c] = [await cluster.add({ ttlMs: 2_000 }), await cluster.add({ ttlMs: 2_000 }), await cluster.add({ ttlMs: 2_000 })]
      await waitFor(() => [a, b, c].every(n => n.ls().length === 3), patienceMs, 'three hosts')
      const servedBy = (n: typeof a, peer: string): string[] => n.lookup(peer)?.endpoints ?? []
      await a.membership.endpointsChanged(['svc', 'echo'])
      await waitFor(() => [b, c].every(n => servedBy(n, a.peerId).join(',') === 'echo,svc'), patienceMs, 'the names on b and c')
      await a.membership.endpointsChanged(['echo'])
      await waitFor(() => [b, c].every(n => servedBy(n, a.peerId).join(',') === 'echo'), patienceMs, 'svc gone on b and c')
    } finally {
      await cluster.stop()
    }
  })
})
