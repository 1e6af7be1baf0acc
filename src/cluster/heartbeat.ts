// Heartbeat codec: the capnp `Heartbeat` struct (schema/cluster.capnp), unpacked, with every field checked on decode.
import * as capnp from 'capnp-es'
import { InvalidArgument, LimitExceeded } from '../errors.js'
import { Heartbeat as HeartbeatStruct } from '../schema/cluster.js'
import { checkEndpointName } from './endpoint-names.js'
import { clusterLimits } from './limits.js'

export interface Heartbeat {
  /** Random per boot. */
  instance: bigint
  hostname: string
  /** "k=v" tags. */
  meta: string[]
  /** The record expires this long after it is received. */
  ttlMs: number
  /** Listen multiaddrs. */
  addrs: string[]
  /** Sent once at shutdown: drop this host now. */
  leaving: boolean
  /** Unix time in milliseconds when the author signed it: bounds the record's life whoever hands it on. */
  issuedAtMs: number
  /** Names of the endpoints the host serves (endpoint-names.ts); absent = none. */
  endpoints?: string[]
  /** Hashes of the user topics the host subscribes to, hex (topic-hash.ts); absent = none. */
  topics?: string[]
}

export function encodeHeartbeat (hb: Heartbeat): Uint8Array {
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
  const bytes = new Uint8Array(msg.toArrayBuffer())
  if (bytes.byteLength > clusterLimits.maxHeartbeatBytes) {
    throw new LimitExceeded(`heartbeat of ${bytes.byteLength} bytes exceeds maxHeartbeatBytes (${clusterLimits.maxHeartbeatBytes})`)
  }
  return bytes
}

/** Decodes and checks a heartbeat; anything malformed or oversized is an InvalidArgument. */
export function decodeHeartbeat (bytes: Uint8Array): Heartbeat {
  if (bytes.byteLength > clusterLimits.maxHeartbeatBytes) {
    throw new InvalidArgument(`heartbeat of ${bytes.byteLength} bytes exceeds maxHeartbeatBytes (${clusterLimits.maxHeartbeatBytes})`)
  }
  if (bytes.byteLength < 16 || bytes.byteLength % 8 !== 0) {
    throw new InvalidArgument(`heartbeat of ${bytes.byteLength} bytes is not a Cap'n Proto message`)
  }
  try {
    // Copy: capnp-es may keep a view on the buffer, which belongs to the pubsub message.
    const root = new capnp.Message(bytes.slice(), false).getRoot(HeartbeatStruct)
    const hb: Heartbeat = {
      instance: root.instance,
      hostname: root.hostname,
      meta: readTextList(root.meta, clusterLimits.maxMetaEntries, clusterLimits.maxMetaEntryBytes, 'meta'),
      ttlMs: root.ttlMs,
      addrs: readTextList(root.addrs, clusterLimits.maxAddrs, clusterLimits.maxAddrBytes, 'addrs'),
      leaving: root.leaving,
      issuedAtMs: Number(root.issuedAtMs),
      endpoints: readTextList(root.endpoints, clusterLimits.maxEndpointNames, clusterLimits.maxEndpointNameBytes, 'endpoints'),
      topics: readTopicHashes(root.topics)
    }
    if (Buffer.byteLength(hb.hostname) > clusterLimits.maxHostnameBytes) throw new Error('hostname too long')
    for (const m of hb.meta) if (m.indexOf('=') <= 0) throw new Error(`meta entry ${JSON.stringify(m)} is not k=v`)
    for (const n of hb.endpoints!) checkEndpointName(n)
    return hb
  } catch (err: any) {
    if (err instanceof InvalidArgument) throw err
    throw new InvalidArgument(`malformed heartbeat: ${err?.message ?? String(err)}`)
  }
}

function readTextList (list: capnp.List<string>, maxEntries: number, maxBytes: number, what: string): string[] {
  if (list.length > maxEntries) throw new InvalidArgument(`heartbeat ${what} has ${list.length} entries, more than ${maxEntries}`)
  const out: string[] = []
  for (let i = 0; i < list.length; i++) {
    const s = list.get(i)
    if (Buffer.byteLength(s) > maxBytes) throw new InvalidArgument(`heartbeat ${what} entry longer than ${maxBytes} bytes`)
    out.push(s)
  }
  return out
}

function readTopicHashes (list: capnp.List<bigint>): string[] {
  if (list.length > clusterLimits.maxAdvertisedTopics) {
    throw new InvalidArgument(`heartbeat topics has ${list.length} entries, more than ${clusterLimits.maxAdvertisedTopics} (maxAdvertisedTopics)`)
  }
  const out: string[] = []
  for (let i = 0; i < list.length; i++) {
    out.push(list.get(i).toString(16).padStart(2 * clusterLimits.topicHashBytes, '0'))
  }
  return out
}

/** The TTL a receiver applies: 0 means the default, anything else is clamped to [minTtlMs, maxTtlMs]. */
export function effectiveTtlMs (ttlMs: number): number {
  if (ttlMs === 0) return clusterLimits.defaultTtlMs
  return Math.min(clusterLimits.maxTtlMs, Math.max(clusterLimits.minTtlMs, ttlMs))
}
