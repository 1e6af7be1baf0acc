import type { HostRecord as Record } from '../cluster/index.js'
import type { HostRecord } from '../schema/cluster.js'

/** Fills a schema HostRecord from a routing-table record. */
export function writeHostRecord (to: HostRecord, from: Record): void {
  to.peer = from.peer
  to.instance = from.instance
  to.seq = from.seq
  to.hostname = from.hostname
  const meta = to._initMeta(from.meta.length)
  from.meta.forEach((m, i) => meta.set(i, m))
  const addrs = to._initAddrs(from.addrs.length)
  from.addrs.forEach((a, i) => addrs.set(i, a))
  to.ttlMs = from.ttlMs
  to.lastSeenMs = BigInt(from.lastSeenMs)
}

/** The plain-object form of a schema HostRecord (what `--json` prints). */
export function readHostRecord (r: HostRecord): Record {
  return {
    peer: r.peer,
    instance: r.instance,
    seq: r.seq,
    hostname: r.hostname,
    meta: [...r.meta],
    addrs: [...r.addrs],
    ttlMs: r.ttlMs,
    lastSeenMs: Number(r.lastSeenMs)
  }
}
