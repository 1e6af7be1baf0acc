// A host's record content on the wire: the Cap'n Proto `Heartbeat` struct (schema/cluster.capnp), unpacked.
// This is the HeartbeatWire the cluster is handed (ClusterNode.start({ heartbeatWire })); the cluster's
// HeartbeatCodec checks sizes, list lengths and fields around it.
import * as capnp from 'capnp-es'
// From heartbeat.js itself, not the cluster's index: loading this file loads no libp2p.
import { HeartbeatCodec, type Heartbeat, type HeartbeatReader, type HeartbeatWire } from '../cluster/heartbeat.js'
import { InvalidArgument } from '../errors.js'
import { Heartbeat as HeartbeatStruct } from '../schema/cluster.js'

export const heartbeatWire: HeartbeatWire = {
  encode (hb: Heartbeat): Uint8Array {
    const msg = new capnp.Message()
    const root = msg.initRoot(HeartbeatStruct)
    root.instance = hb.instance
    root.hostname = hb.hostname
    root.ttlMs = hb.ttlMs
    root.leaving = hb.leaving
    root.issuedAtMs = BigInt(Math.trunc(hb.issuedAtMs))
    const meta = root._initMeta(hb.meta.length)
    hb.meta.forEach((m, i) => meta.set(i, m))
    const addrs = root._initAddrs(hb.addrs.length)
    hb.addrs.forEach((a, i) => addrs.set(i, a))
    const names = hb.endpoints ?? []
    if (names.length > 0) {
      const list = root._initEndpoints(names.length)
      names.forEach((n, i) => list.set(i, n))
    }
    const topics = hb.topics ?? []
    if (topics.length > 0) {
      const list = root._initTopics(topics.length)
      topics.forEach((t, i) => { list.set(i, BigInt('0x' + t)) })
    }
    return new Uint8Array(msg.toArrayBuffer())
  },

  read (bytes: Uint8Array): HeartbeatReader {
    if (bytes.byteLength < 16 || bytes.byteLength % 8 !== 0) {
      throw new InvalidArgument(`heartbeat of ${bytes.byteLength} bytes is not a Cap'n Proto message`)
    }
    // Copy: capnp-es may keep a view on the buffer, which belongs to the pubsub message.
    return new capnp.Message(bytes.slice(), false).getRoot(HeartbeatStruct)
  }
}

/** Heartbeats to and from the struct's bytes, checked (what commands, tests and benchmarks use). */
export const heartbeatCodec = new HeartbeatCodec(heartbeatWire)
export const encodeHeartbeat = (hb: Heartbeat): Uint8Array => heartbeatCodec.encode(hb)
export const decodeHeartbeat = (bytes: Uint8Array): Heartbeat => heartbeatCodec.decode(bytes)
