// Endpoint names in a host's signed record: checked on decode, covered by the signature, and spread to every host.
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { RPC } from '@libp2p/gossipsub/message'
import { decodeHeartbeat, encodeHeartbeat, heartbeatCodec } from '../../src/caps/heartbeat.js'
import { clusterLimits, clusterTopic, RecordSigner, verifySignedMessage, type ClusterNotice, type Heartbeat } from '../../src/cluster/index.js'
import { Heartbeat as HeartbeatStruct } from '../../src/schema/cluster.js'
import { fitHeartbeat } from '../../src/cluster/heartbeat-fit.js'
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

  it('a record holds the names that fit: the first endpoint names in order, then topic hashes; the rest are left out', () => {
    const longMeta = Array.from({ length: 16 }, (_, i) => `k${i}=${'v'.repeat(240)}`)
    const names = Array.from({ length: clusterLimits.maxEndpointNames }, (_, i) => `${i}`.padStart(3, '0').padEnd(clusterLimits.maxEndpointNameBytes, 'x'))
    const topics = Array.from({ length: 64 }, (_, i) => i.toString(16).padStart(16, '0'))
    const { heartbeat, leftOut } = fitHeartbeat(heartbeatCodec, { ...record(names), meta: longMeta, topics })
    const kept = heartbeat.endpoints ?? []
    assert.ok(kept.length > 0 && kept.length < names.length, `${kept.length} names kept`)
    assert.deepEqual([...kept, ...leftOut.endpoints], names)
    assert.deepEqual(heartbeat.topics, [], 'no topic goes in while a name is left out')
    assert.deepEqual(leftOut.topics, topics)
    assert.ok(encodeHeartbeat(heartbeat).byteLength <= clusterLimits.maxHeartbeatBytes)
    assert.throws(() => encodeHeartbeat({ ...heartbeat, endpoints: [...kept, leftOut.endpoints[0]] }), { name: 'LimitExceeded' }, 'one name more does not fit')

    const few = fitHeartbeat(heartbeatCodec, { ...record(names.slice(0, 8)), meta: Array.from({ length: 28 }, (_, i) => `k${i}=${'v'.repeat(240)}`), topics })
    assert.deepEqual(few.heartbeat.endpoints, names.slice(0, 8))
    assert.ok(few.leftOut.topics.length > 0 && few.heartbeat.topics!.length > 0, `${few.heartbeat.topics!.length} topics kept`)
    assert.deepEqual([...few.heartbeat.topics!, ...few.leftOut.topics], topics)

    const fits = fitHeartbeat(heartbeatCodec, record(['svc']))
    assert.deepEqual(fits.leftOut, { endpoints: [], topics: [] })
    const tooMuchMeta = Array.from({ length: 40 }, (_, i) => `k${i}=${'v'.repeat(240)}`)
    assert.throws(() => fitHeartbeat(heartbeatCodec, { ...record([]), meta: tooMuchMeta }), { name: 'LimitExceeded', message: /exceeds maxHeartbeatBytes/ })
  })

  it('a host whose names do not all fit signs a record with those that fit, says what it left out, and says when all fit again', async () => {
    const cluster = new LocalCluster()
    const notices: ClusterNotice[] = []
    try {
      const longMeta = Array.from({ length: 16 }, (_, i) => `k${i}=${'v'.repeat(240)}`)
      const a = await cluster.add({ ttlMs: 2_000, meta: longMeta, onNotice: n => { if (n.type === 'record-full') notices.push(n) } })
      const b = await cluster.add({ ttlMs: 2_000 })
      await waitFor(() => [a, b].every(n => n.ls().length === 2), patienceMs, 'two hosts')
      const names = Array.from({ length: clusterLimits.maxEndpointNames }, (_, i) => `${i}`.padStart(3, '0').padEnd(clusterLimits.maxEndpointNameBytes, 'x'))
      await a.membership.endpointsChanged(names)
      const full = notices.at(-1)
      assert.ok(full?.type === 'record-full' && full.endpoints.length > 0, JSON.stringify(notices))
      const fit = names.slice(0, names.length - full.endpoints.length)
      assert.deepEqual(full.endpoints, names.slice(fit.length))
      await waitFor(() => (b.lookup(a.peerId)?.endpoints ?? []).join() === fit.join(), patienceMs, 'the names that fit on b')
      await a.membership.endpointsChanged(['svc'])
      assert.deepEqual(notices.at(-1), { type: 'record-full', endpoints: [], topics: 0 })
      await waitFor(() => (b.lookup(a.peerId)?.endpoints ?? []).join() === 'svc', patienceMs, 'svc alone on b')
      assert.equal(notices.length, 2, `one notice per change of what is left out: ${JSON.stringify(notices)}`)
    } finally {
      await cluster.stop()
    }
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
