// The routing table: one record per live host, built from heartbeats.
//
// Ordering rules (PA/EL, no consensus): a heartbeat is stale when it comes from the instance we know with a
// sequence number we have already seen, or from an instance that a newer boot of the same peer replaced.
// A new instance replaces the old one at once (the old one is reported as left, the new one as joined).
// A leaving heartbeat drops the host; the peer's history is kept for a while so late heartbeats of the
// same boot are still recognized as stale.
import { InvalidArgument } from '../errors.js'
import type { Heartbeat } from './heartbeat.js'
import { effectiveTtlMs } from './heartbeat.js'
import { clusterLimits } from './limits.js'
import { checkMetaPair, metaMatches } from './meta.js'

export interface HostRecord {
  peer: string
  instance: bigint
  seq: bigint
  hostname: string
  meta: string[]
  addrs: string[]
  ttlMs: number
  /** Unix time in milliseconds of the newest heartbeat. */
  lastSeenMs: number
}

/** How a host left: it said so, its heartbeats stopped for its TTL, or a new instance of it replaced it. */
export type LeaveHow = 'left' | 'expired' | 'restarted'
export type MembershipEvent =
  | { type: 'join' | 'update', record: HostRecord }
  | { type: 'leave', record: HostRecord, how: LeaveHow }
export type MembershipListener = (event: MembershipEvent) => void

/** What a heartbeat did to the table. */
export type Outcome = 'joined' | 'updated' | 'left' | 'unchanged' | 'stale'

interface Entry { record: HostRecord, deadline: number }
interface History { instance: bigint, seq: bigint, retired: bigint[], forgetAt: number }

export interface RoutingTableOptions {
  /** Clock in milliseconds (default Date.now). */
  now?: () => number
  /** Evict expired hosts with a timer (default true). Without it, expiry happens on reads and sweep(). */
  autoExpire?: boolean
  maxHosts?: number
  /** Allowance for clocks that differ (default clusterLimits.maxClockSkewMs). */
  maxClockSkewMs?: number
}

export class RoutingTable {
  private readonly entries = new Map<string, Entry>()
  private readonly history = new Map<string, History>()
  private readonly listeners = new Set<MembershipListener>()
  private readonly now: () => number
  private readonly autoExpire: boolean
  private readonly maxHosts: number
  private readonly maxClockSkewMs: number
  private timer: ReturnType<typeof setTimeout> | undefined
  private timerAt = Infinity
  private closed = false

  constructor (options: RoutingTableOptions = {}) {
    this.now = options.now ?? Date.now
    this.autoExpire = options.autoExpire ?? true
    this.maxHosts = options.maxHosts ?? clusterLimits.maxHosts
    this.maxClockSkewMs = options.maxClockSkewMs ?? clusterLimits.maxClockSkewMs
  }

  /**
   * Applies a heartbeat received from `peer` with pubsub sequence number `seq`. `ageMs` is how long ago it was
   * first received (a record handed over by another host): it counts against the TTL, and one already expired is stale.
   * Whatever the age says, the record lives at most until its signed issue time + TTL + maxClockSkewMs: the age,
   * which is not signed, can only shorten its life, so no host handing a record on can bring back a dead host.
   */
  apply (peer: string, seq: bigint, hb: Heartbeat, ageMs = 0): Outcome {
    const now = this.now()
    this.sweep(now)
    const ttlMs = effectiveTtlMs(hb.ttlMs)
    const age = Math.max(0, ageMs)
    if (age >= ttlMs) return 'stale'
    if (!Number.isFinite(hb.issuedAtMs) || hb.issuedAtMs > now + this.maxClockSkewMs) return 'stale'
    const deadline = Math.min(now + ttlMs - age, hb.issuedAtMs + ttlMs + this.maxClockSkewMs)
    if (deadline <= now) return 'stale'
    let h = this.history.get(peer)
    if (h !== undefined && h.forgetAt <= now && !this.entries.has(peer)) {
      this.history.delete(peer)
      h = undefined
    }
    if (h !== undefined) {
      if (h.instance === hb.instance && seq <= h.seq) return 'stale'
      if (h.retired.includes(hb.instance)) return 'stale'
    } else if (this.history.size >= this.maxHosts) {
      this.forgetOldest(now)
      if (this.history.size >= this.maxHosts) return 'stale'
    }

    if (h === undefined) {
      h = { instance: hb.instance, seq, retired: [], forgetAt: 0 }
      this.history.set(peer, h)
    } else if (h.instance !== hb.instance) {
      h.retired.push(h.instance)
      if (h.retired.length > clusterLimits.retiredInstancesPerPeer) h.retired.shift()
    }
    h.instance = hb.instance
    h.seq = seq
    // Remembered until any heartbeat of this boot it could tell stale would be dead by its issue time anyway.
    h.forgetAt = Math.max(now + 2 * ttlMs, deadline)

    const old = this.entries.get(peer)
    if (hb.leaving) {
      if (old === undefined) return 'unchanged'
      this.entries.delete(peer)
      this.emit({ type: 'leave', record: old.record, how: 'left' })
      return 'left'
    }

    const record: HostRecord = {
      peer, instance: hb.instance, seq, hostname: hb.hostname, meta: [...hb.meta], addrs: [...hb.addrs], ttlMs, lastSeenMs: Date.now() - age
    }
    this.entries.set(peer, { record, deadline })
    this.arm(deadline)
    if (old === undefined) {
      this.emit({ type: 'join', record })
      return 'joined'
    }
    if (old.record.instance !== hb.instance) {
      this.emit({ type: 'leave', record: old.record, how: 'restarted' })
      this.emit({ type: 'join', record })
      return 'joined'
    }
    if (!sameContent(old.record, record)) this.emit({ type: 'update', record })
    return 'updated'
  }

  /** Could a heartbeat from `peer` with sequence number `seq` change the table (is it not known to be stale)? */
  isFresh (peer: string, seq: bigint): boolean {
    const h = this.history.get(peer)
    return h === undefined || seq > h.seq || !this.entries.has(peer)
  }

  /** Puts this node's own record in the table; it never expires (remove it with removeLocal). */
  setLocal (record: HostRecord): void {
    const old = this.entries.get(record.peer)
    this.entries.set(record.peer, { record, deadline: Infinity })
    if (old === undefined) this.emit({ type: 'join', record })
    else if (!sameContent(old.record, record)) this.emit({ type: 'update', record })
  }

  removeLocal (peer: string): void {
    const old = this.entries.get(peer)
    if (old === undefined) return
    this.entries.delete(peer)
    this.emit({ type: 'leave', record: old.record, how: 'left' })
  }

  /** Live hosts whose meta has every "k=v" pair of `where`, in peer ID order. */
  ls (where: readonly string[] = []): HostRecord[] {
    for (const pair of where) checkMetaPair(pair)
    this.sweep(this.now())
    return [...this.entries.values()]
      .map(e => e.record)
      .filter(r => metaMatches(r.meta, where))
      .sort((a, b) => a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0)
  }

  lookup (peer: string): HostRecord | undefined {
    if (typeof peer !== 'string' || peer.length === 0) throw new InvalidArgument('lookup needs a peer ID')
    this.sweep(this.now())
    return this.entries.get(peer)?.record
  }

  get size (): number {
    this.sweep(this.now())
    return this.entries.size
  }

  /** Calls `listener` for every join, leave and update; returns a function that stops it. */
  watch (listener: MembershipListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Drops every host whose deadline passed, reporting each as left. */
  sweep (now: number = this.now()): void {
    for (const [peer, entry] of this.entries) {
      if (entry.deadline <= now) {
        this.entries.delete(peer)
        this.emit({ type: 'leave', record: entry.record, how: 'expired' })
      }
    }
  }

  /** Stops the expiry timer and every listener. */
  close (): void {
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.listeners.clear()
  }

  private arm (deadline: number): void {
    if (!this.autoExpire || this.closed || deadline >= this.timerAt) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timerAt = deadline
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, deadline - this.now()))
    this.timer.unref?.()
  }

  private onTimer (): void {
    this.timer = undefined
    this.timerAt = Infinity
    const now = this.now()
    this.sweep(now)
    let next = Infinity
    for (const e of this.entries.values()) next = Math.min(next, e.deadline)
    if (next !== Infinity) this.arm(next)
  }

  private forgetOldest (now: number): void {
    for (const [peer, h] of this.history) {
      if (!this.entries.has(peer) && h.forgetAt <= now) this.history.delete(peer)
    }
  }

  private emit (event: MembershipEvent): void {
    for (const listener of [...this.listeners]) {
      try { listener(event) } catch { /* a listener's failure is its own */ }
    }
  }
}

function sameContent (a: HostRecord, b: HostRecord): boolean {
  return a.instance === b.instance && a.hostname === b.hostname && a.ttlMs === b.ttlMs &&
    a.meta.join('\n') === b.meta.join('\n') && a.addrs.join('\n') === b.addrs.join('\n')
}
