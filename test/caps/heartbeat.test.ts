import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import { decodeHeartbeat, encodeHeartbeat } from '../../src/caps/heartbeat.js'
import { clusterLimits, effectiveTtlMs, type Heartbeat } from '../../src/cluster/index.js'
import { Heartbeat as HeartbeatStruct } from '../../src/schema/cluster.js'
import { advertisedTopicHashes, topicHash } from '../../src/cluster/topic-hash.js'

const sample: Heartbeat = {
  instance: 0x0123456789abcdefn, hostname: 'box-1', meta: ['zone=eu', 'gpu=none'], ttlMs: 4_000,
  addrs: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWAbc'], leaving: false, issuedAtMs: 1_765_000_000_123, endpoints: ['echo', 'svc.v2'],
  topics: ['000000000000002a', topicHash('/ww/ww/topic/news'), 'ffffffffffffffff']
}

// The bytes the codec wrote when it lived in src/cluster (before the cluster was handed it as a HeartbeatWire): a
// record signed by a node of either version reads the same on the other.
const sampleBytes = 'AAAAABwAAAAAAAAAAwAFAO/Nq4lnRSMBoA8AAAAAAAB7sjLymgEAABEAAAAyAAAAEQAAABYAAAAhAAAADgAAADUAAAAWAAAAQQAAAB0AAABib3gtMQAAAAUAAABCAAAABQAAAEoAAAB6b25lPWV1AGdwdT1ub25lAAAAAAAAAAABAAAAQgEAAC9pcDQvMTI3LjAuMC4xL3RjcC80MDAxL3AycC8xMkQzS29vV0FiYwAFAAAAKgAAAAUAAAA6AAAAZWNobwAAAABzdmMudjIAACoAAAAAAAAAHTlLLN3yrif//////////w=='
const leavingBytes = 'AAAAAAoAAAAAAAAAAwAFAO/Nq4lnRSMBoA8AAAEAAAB7sjLymgEAABEAAAAyAAAAEQAAAAYAAAANAAAABgAAAAAAAAAAAAAAAAAAAAAAAABib3gtMQAAAA=='

describe('caps: heartbeat codec (the Heartbeat struct, checked by the cluster)', () => {
  it('round-trips every field', () => {
    assert.deepEqual(decodeHeartbeat(encodeHeartbeat(sample)), sample)
    const leaving = { ...sample, leaving: true, meta: [], addrs: [], endpoints: [], topics: [] }
    assert.deepEqual(decodeHeartbeat(encodeHeartbeat(leaving)), leaving)
  })

  it('writes and reads the same bytes as before the move: the wire is unchanged', () => {
    const leaving = { ...sample, leaving: true, meta: [], addrs: [], endpoints: [], topics: [] }
    assert.equal(Buffer.from(encodeHeartbeat(sample)).toString('base64'), sampleBytes)
    assert.equal(Buffer.from(encodeHeartbeat(leaving)).toString('base64'), leavingBytes)
    assert.deepEqual(decodeHeartbeat(Buffer.from(sampleBytes, 'base64')), sample)
    assert.deepEqual(decodeHeartbeat(Buffer.from(leavingBytes, 'base64')), leaving)
  })

  it('rejects garbage, truncation and oversize with InvalidArgument', () => {
    const good = encodeHeartbeat(sample)
    const cases = [
      new Uint8Array(0),
      new Uint8Array([1, 2, 3]),
      good.subarray(0, good.length - 8),
      new Uint8Array(64).fill(0xff),
      new Uint8Array(clusterLimits.maxHeartbeatBytes + 8)
    ]
    for (const bytes of cases) assert.throws(() => decodeHeartbeat(bytes), { name: 'InvalidArgument' }, `case of ${bytes.length} bytes`)
  })

  it('rejects a meta entry that is not k=v and lists over their limits', () => {
    const msg = new capnp.Message()
    const root = msg.initRoot(HeartbeatStruct)
    root._initMeta(1).set(0, 'novalue')
    assert.throws(() => decodeHeartbeat(new Uint8Array(msg.toArrayBuffer())), { name: 'InvalidArgument', message: /not k=v/ })

    const many = new capnp.Message()
    const list = many.initRoot(HeartbeatStruct)._initAddrs(clusterLimits.maxAddrs + 1)
    for (let i = 0; i < list.length; i++) list.set(i, '/ip4/1.2.3.4/tcp/1')
    assert.throws(() => decodeHeartbeat(new Uint8Array(many.toArrayBuffer())), { name: 'InvalidArgument', message: /entries/ })
  })

  it('topic hashes: 8 bytes of SHA-256 in hex, at most maxAdvertisedTopics in a record', () => {
    assert.equal(topicHash('/ww/ww/topic/news'), '27aef2dd2c4b391d')
    assert.match(topicHash('/ww/ww/topic/news'), /^[0-9a-f]{16}$/)
    assert.notEqual(topicHash('/ww/ww/topic/news'), topicHash('/ww/other/topic/news'))
    const many = Array.from({ length: clusterLimits.maxAdvertisedTopics + 5 }, (_, i) => `/ww/ww/topic/t${i}`)
    const hashes = advertisedTopicHashes([...many, many[0]])
    assert.equal(hashes.length, clusterLimits.maxAdvertisedTopics)
    assert.deepEqual(hashes, [...hashes].sort())
    assert.deepEqual(decodeHeartbeat(encodeHeartbeat({ ...sample, topics: hashes })).topics, hashes)

    const over = new capnp.Message()
    const list = over.initRoot(HeartbeatStruct)._initTopics(clusterLimits.maxAdvertisedTopics + 1)
    for (let i = 0; i < list.length; i++) list.set(i, BigInt(i))
    assert.throws(() => decodeHeartbeat(new Uint8Array(over.toArrayBuffer())), { name: 'InvalidArgument', message: /maxAdvertisedTopics/ })
  })

  it('refuses to encode a heartbeat larger than the limit', () => {
    const big = { ...sample, meta: Array.from({ length: 64 }, (_, i) => `k${i}=${'v'.repeat(250)}`) }
    assert.throws(() => encodeHeartbeat(big), { name: 'LimitExceeded' })
  })

  it('applies the default TTL for 0 and clamps the rest', () => {
    assert.equal(effectiveTtlMs(0), clusterLimits.defaultTtlMs)
    assert.equal(effectiveTtlMs(1), clusterLimits.minTtlMs)
    assert.equal(effectiveTtlMs(2_000), 2_000)
    assert.equal(effectiveTtlMs(0xffffffff), clusterLimits.maxTtlMs)
  })
})
