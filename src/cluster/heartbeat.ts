// A host's record content (the heartbeat) and its checks. Its bytes are written and read by a HeartbeatWire the
// cluster is handed (src/caps/heartbeat.ts: the Cap'n Proto `Heartbeat` struct), so this layer knows no wire format.
// Every check is here: the size before anything is read, each list's length before its entries are read, each field.
import { InvalidArgument, LimitExceeded } from '../errors.js'
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

/** A list in a received heartbeat, read entry by entry. */
export interface ListReader<T> {
  readonly length: number
  get: (index: number) => T
}

/** A received heartbeat's fields as the wire gives them; reading one may throw on malformed bytes. */
export interface HeartbeatReader {
  readonly instance: bigint
  readonly hostname: string
  readonly ttlMs: number
  readonly leaving: boolean
  readonly issuedAtMs: bigint
  readonly meta: ListReader<string>
  readonly addrs: ListReader<string>
  readonly endpoints: ListReader<string>
  /** Topic hashes as unsigned 64-bit integers. */
  readonly topics: ListReader<bigint>
}

/** The heartbeat's wire format, without checks: HeartbeatCodec adds them. */
export interface HeartbeatWire {
  encode: (hb: Heartbeat) => Uint8Array
  /** Opens `bytes` (the caller's: copy what must outlive them); throws InvalidArgument when they are no message at all. */
  read: (bytes: Uint8Array) => HeartbeatReader
}

/** Heartbeats to and from bytes over a HeartbeatWire, with every limit checked. */
export class HeartbeatCodec {
  constructor (private readonly wire: HeartbeatWire) {}

  encode (hb: Heartbeat): Uint8Array {
    const bytes = this.wire.encode(hb)
    if (bytes.byteLength > clusterLimits.maxHeartbeatBytes) {
      throw new LimitExceeded(`heartbeat of ${bytes.byteLength} bytes exceeds maxHeartbeatBytes (${clusterLimits.maxHeartbeatBytes})`)
    }
    return bytes
  }

  /** Decodes and checks a heartbeat; anything malformed or oversized is an InvalidArgument. */
  decode (bytes: Uint8Array): Heartbeat {
    if (bytes.byteLength > clusterLimits.maxHeartbeatBytes) {
      throw new InvalidArgument(`heartbeat of ${bytes.byteLength} bytes exceeds maxHeartbeatBytes (${clusterLimits.maxHeartbeatBytes})`)
    }
    try {
      const root = this.wire.read(bytes)
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
}

function readTextList (list: ListReader<string>, maxEntries: number, maxBytes: number, what: string): string[] {
  if (list.length > maxEntries) throw new InvalidArgument(`heartbeat ${what} has ${list.length} entries, more than ${maxEntries}`)
  const out: string[] = []
  for (let i = 0; i < list.length; i++) {
    const s = list.get(i)
    if (Buffer.byteLength(s) > maxBytes) throw new InvalidArgument(`heartbeat ${what} entry longer than ${maxBytes} bytes`)
    out.push(s)
  }
  return out
}

function readTopicHashes (list: ListReader<bigint>): string[] {
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
