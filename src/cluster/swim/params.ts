// SWIM's timing, derived from the TTL the user gives (`ww start --ttl`): the TTL is the failure-detection bound.
// A killed host is probed by some member within a few probe intervals, suspected, and removed when the suspicion
// times out (between TTL/10, at least minSuspicionMs, with enough confirmations and TTL/2 without), so it is gone
// everywhere within the TTL.
import { clusterLimits } from '../limits.js'

export interface SwimParams {
  /** One probe of a random member per interval. */
  probeIntervalMs: number
  /** A direct ping unanswered this long is retried through `indirectProbes` other members. */
  probeTimeoutMs: number
  indirectProbes: number
  suspicionMinMs: number
  suspicionMaxMs: number
  /** Independent confirmations that bring a suspicion's timeout down to its minimum. */
  suspicionConfirmations: number
  /** Queued changes are gossiped to `gossipFanout` random members every interval (nothing queued: nothing sent). */
  gossipIntervalMs: number
  gossipFanout: number
  /** Each change is sent retransmitMult·ceil(log10(N+1)) times by each host that hands it on. */
  retransmitMult: number
  /** Piggybacked changes per message, in bytes. */
  piggybackBytes: number
  /** Lifeguard's local health: probe interval and timeout are multiplied by (1 + health), health in [0, max], starting at initial. */
  maxLocalHealth: number
  initialLocalHealth: number
  /** Every this long, one member removed by suspicion is told so (it refutes if it is alive), so two halves of a partition find each other again. */
  reconnectIntervalMs: number
}

export function swimParams (ttlMs: number): SwimParams {
  const L = clusterLimits
  const probeIntervalMs = Math.min(L.maxProbeIntervalMs, Math.max(L.minProbeIntervalMs, Math.round(ttlMs / L.probesPerTtl)))
  return {
    probeIntervalMs,
    probeTimeoutMs: Math.round(probeIntervalMs / 2),
    indirectProbes: L.indirectProbes,
    suspicionMinMs: Math.round(Math.min(ttlMs / 2, Math.max(L.minSuspicionMs, ttlMs / 10))),
    suspicionMaxMs: Math.round(ttlMs / 2),
    suspicionConfirmations: L.suspicionConfirmations,
    gossipIntervalMs: Math.min(L.gossipIntervalMs, probeIntervalMs),
    gossipFanout: L.gossipFanout,
    retransmitMult: L.retransmitMult,
    piggybackBytes: L.piggybackBytes,
    maxLocalHealth: L.maxLocalHealth,
    initialLocalHealth: L.initialLocalHealth,
    reconnectIntervalMs: Math.min(L.reconnectIntervalMs, Math.max(L.minReconnectIntervalMs, 3 * ttlMs))
  }
}

/** How many times a host sends each change it hands on, in a cluster of n hosts. */
export function retransmitLimit (mult: number, n: number): number {
  return mult * Math.max(1, Math.ceil(Math.log10(n + 1)))
}
