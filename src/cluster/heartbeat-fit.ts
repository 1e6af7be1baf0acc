// A record that holds what fits: a host's hostname, meta and addresses always go in; its endpoint names (sorted)
// and then its topic hashes go in as far as maxHeartbeatBytes allows, the rest left out. Every field is bounded
// on its own, but not all at their maximum at once (64 names of 64 bytes beside 32 long addresses and a long meta
// go past 8 KiB): without this a host serving one name too many could not sign its record at all.
import { LimitExceeded } from '../errors.js'
import type { Heartbeat, HeartbeatCodec } from './heartbeat.js'

export interface FittedHeartbeat {
  heartbeat: Heartbeat
  /** The endpoint names and topic hashes that did not fit, in the order given. */
  leftOut: { endpoints: string[], topics: string[] }
}

function fits (codec: HeartbeatCodec, hb: Heartbeat): boolean {
  try {
    codec.encode(hb)
    return true
  } catch (err) {
    if (err instanceof LimitExceeded) return false
    throw err
  }
}

/** The most of `items` (a prefix) that fits when `build` puts them in the record: a binary search. */
function mostThatFit (codec: HeartbeatCodec, items: string[], build: (kept: string[]) => Heartbeat): number {
  let lo = 0
  let hi = items.length
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (fits(codec, build(items.slice(0, mid)))) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * `hb` with as many of its endpoint names, then topic hashes, as fit in maxHeartbeatBytes. LimitExceeded when even
 * none fit (the hostname, meta and addresses alone are too large).
 */
export function fitHeartbeat (codec: HeartbeatCodec, hb: Heartbeat): FittedHeartbeat {
  const endpoints = hb.endpoints ?? []
  const topics = hb.topics ?? []
  if (fits(codec, hb)) return { heartbeat: hb, leftOut: { endpoints: [], topics: [] } }
  const bare = { ...hb, endpoints: [], topics: [] }
  if (!fits(codec, bare)) codec.encode(bare) // throws LimitExceeded, saying how large
  const names = mostThatFit(codec, endpoints, kept => ({ ...hb, endpoints: kept, topics: [] }))
  const keptNames = endpoints.slice(0, names)
  const hashes = names < endpoints.length ? 0 : mostThatFit(codec, topics, kept => ({ ...hb, endpoints: keptNames, topics: kept }))
  return {
    heartbeat: { ...hb, endpoints: keptNames, topics: topics.slice(0, hashes) },
    leftOut: { endpoints: endpoints.slice(names), topics: topics.slice(hashes) }
  }
}
