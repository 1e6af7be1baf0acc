// Placement with no leader: a pure function of (deployment records, live hosts with their meta) that every host
// computes alike, so each starts the replicas assigned to it and no host needs to be told.
//
// The rule, for a deployment with N replicas over the live hosts whose meta holds every `where` pair:
// - --per-host: one replica on every matching host (replica i on the i-th of them by peer ID).
// - else the replicas are shared out as evenly as possible: first over the groups of --spread (the hosts with each
//   value of that meta key; hosts without the key take none), then within a group over its hosts. Each bucket (group
//   or host) gets ⌊n/k⌋ or ⌈n/k⌉; the ones that get the extra replica are those most replicas rank first (ties: those
//   that rank highest for the deployment by rendezvous (highest-random-weight) hashing). Then the replicas are matched
//   to the buckets (stable matching): a replica asks the buckets in the order they rank for (deployment, index), and a
//   bucket keeps, up to its share, the replicas that rank it highest. So when a host joins or leaves, the replicas
//   the balance needs move, and a few more along the matching (measured in test/cluster/deployments.test.ts: about
//   1.5 times the fewest moves; no rule that sees only the live hosts can always move just those).
import { createHash } from 'node:crypto'
import { metaMatches } from '../meta.js'
import type { DeploymentRecord } from './record.js'

export interface PlacementHost { peer: string, meta: readonly string[] }

export interface Placement {
  /** The host of each replica, by index (length: the replicas placed). */
  hosts: string[]
  /** No live host matches the deployment's `where` (or has its --spread key): nothing runs. */
  unplaceable: boolean
}

/** Where every live deployment's replicas run. */
export function placeAll (records: readonly DeploymentRecord[], hosts: readonly PlacementHost[]): Map<string, Placement> {
  const out = new Map<string, Placement>()
  for (const r of records) if (!r.deleted && r.spec !== undefined) out.set(r.name, place(r, hosts))
  return out
}

export function place (r: DeploymentRecord, all: readonly PlacementHost[]): Placement {
  const spec = r.spec!
  const hosts = all.filter(h => metaMatches(h.meta, spec.where)).sort((a, b) => a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0)
  if (spec.perHost) return { hosts: hosts.map(h => h.peer), unplaceable: hosts.length === 0 }
  const n = spec.replicas
  if (spec.spread === '') {
    return { hosts: share(r.name, n, hosts.map(h => h.peer)).map(i => hosts[i].peer), unplaceable: hosts.length === 0 }
  }
  const prefix = `${spec.spread}=`
  const groups = new Map<string, string[]>()
  for (const h of hosts) {
    const pair = h.meta.find(m => m.startsWith(prefix))
    if (pair === undefined) continue
    const value = pair.slice(prefix.length)
    groups.set(value, [...(groups.get(value) ?? []), h.peer])
  }
  if (groups.size === 0) return { hosts: [], unplaceable: true }
  const values = [...groups.keys()].sort()
  const groupOf = share(r.name, n, values.map(v => `${spec.spread}=${v}`))
  // within each group, its replicas (in index order) are shared over its hosts
  const placed: string[] = new Array(n)
  for (let g = 0; g < values.length; g++) {
    const indices = groupOf.flatMap((x, i) => x === g ? [i] : [])
    const members = groups.get(values[g])!
    const hostOf = share(`${r.name}\n${values[g]}`, indices.length, members)
    indices.forEach((replica, k) => { placed[replica] = members[hostOf[k]] })
  }
  return { hosts: placed, unplaceable: false }
}

/**
 * Shares n replicas (indices 0..n-1) of `key` over `buckets` as evenly as possible; the bucket (index into
 * `buckets`) of each replica. Deterministic in its inputs.
 */
export function share (key: string, n: number, buckets: readonly string[]): number[] {
  const k = buckets.length
  if (k === 0 || n === 0) return []
  const ranks = Array.from({ length: n }, (_, replica) => buckets.map((b, i) => ({ i, w: weight(`${key}\n${replica}`, b) })).sort(byWeight))
  // Every bucket gets ⌊n/k⌋; the extra replicas go to the buckets most replicas rank first (ties: the buckets that rank
  // highest for the key), so fewer replicas are turned away from their first choice and a host that joins or leaves
  // sets off fewer moves down the matching.
  const demand = new Array<number>(k).fill(0)
  for (const r of ranks) demand[r[0].i]++
  const room = new Array<number>(k).fill(Math.floor(n / k))
  const byDemand = buckets.map((b, i) => ({ i, demand: demand[i], w: weight(key, b) })).sort((a, b) => b.demand - a.demand || byWeight(a, b))
  for (let e = 0; e < n % k; e++) room[byDemand[e].i]++
  // Stable matching (Gale-Shapley): each replica asks the buckets in the order they rank for it; a bucket keeps, up to
  // its share, the replicas that rank it highest, and turns the others away to ask their next.
  const next = new Array<number>(n).fill(0)
  const held: Array<Array<{ replica: number, w: bigint }>> = buckets.map(() => [])
  const asking = Array.from({ length: n }, (_, i) => i)
  while (asking.length > 0) {
    const replica = asking.pop()!
    const choice = ranks[replica][next[replica]++]
    const list = held[choice.i]
    list.push({ replica, w: choice.w })
    if (list.length > room[choice.i]) {
      list.sort(byWeight)
      asking.push(list.pop()!.replica)
    }
  }
  const out = new Array<number>(n)
  held.forEach((list, b) => { for (const { replica } of list) out[replica] = b })
  return out
}

const byWeight = (a: { w: bigint }, b: { w: bigint }): number => a.w > b.w ? -1 : a.w < b.w ? 1 : 0

/** Rendezvous weight of `bucket` for `key`: the first 8 bytes of SHA-256(key, bucket). */
function weight (key: string, bucket: string): bigint {
  return createHash('sha256').update(key).update('\0').update(bucket).digest().readBigUInt64BE(0)
}
