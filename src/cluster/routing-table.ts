// The routing table: one record per live host, built from heartbeats.
//
// Ordering rules (PA/EL, no consensus): a heartbeat is stale when it comes from the instance we know with a
// sequence number we have already seen, or from an instance that a newer boot of the same peer replaced.
// A new instance replaces the old one at once (the old one is reported as left, the new one as joined).
// A leaving heartbeat drops the host; the peer's history is kept for a while so late heartbeats of the
// same boot are still recognized as stale.
//
// Admission: a record handed on by a peer other than its author is "vouched for" by that peer until the host is
// heard directly (the same record coming again by gossip, from its author or from a peer connected to it counts).
// Each peer may vouch for at most maxVouchedPerPeer listed hosts, and when the table is full a host
// heard directly pushes out a vouched-for one, so a flood of fakes from one peer stays small and cannot keep real hosts out.
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
  /** Names of the endpoints it serves, sorted (absent: none). */
  endpoints?: string[]
  /** Hashes of the user topics it subscribes to, hex (topic-hash.ts; absent: none). */
  topics?: string[]
  /** Unix time in milliseconds this host last heard from it: its record, or a SWIM message from it. */
  lastSeenMs: number
}

/** How a host left: it said so, it stopped answering probes (or its record outlived its lifetime), or a new instance of it replaced it. */
export type LeaveHow = 'left' | 'expired' | 'restarted'
export type MembershipEvent =
  | { type: 'join' | 'update', record: HostRecord }
  | { type: 'leave', record: HostRecord, how: LeaveHow }
export type MembershipListener = (event: MembershipEvent) => void

/** What a heartbeat did to the table ('refused': a new host over the voucher's quota or the table's size). */
export type Outcome = 'joined' | 'updated' | 'left' | 'unchanged' | 'stale' | 'refused'

/** `vouchedBy`: the peer that handed the record on, until the host is heard directly. */
interface Entry { record: HostRecord, deadline: number, vouchedBy?: string }
/** `failed`: the host was removed by a failed suspicion (remove()), not by its leave. */
interface History { instance: bigint, seq: bigint, retired: bigint[], forgetAt: number, failed?: boolean, addrs?: string[] }

export interface RoutingTableOptions {
  /** Clock in milliseconds (default Date.now). */
  now?: () => number
  /** Evict expired hosts with a timer (default true). Without it, expiry happens on reads and sweep(). */
  autoExpire?: boolean
  maxHosts?: number
  maxVouchedPerPeer?: number
  /** Allowance for clocks that differ (default clusterLimits.maxClockSkewMs). */
  maxClockSkewMs?: number
  /**
   * How long a record lives, when it is not its TTL: with SWIM, a host is removed when it stops answering probes
   * (remove()), and its record, signed anew every recordRefreshMs, lives until its issue time + this + the skew.
   */
  lifetimeMs?: number
}

export class RoutingTable {
  private readonly entries = new Map<string, Entry>()
  private readonly history = new Map<string, History>()
  private readonly listeners = new Set<MembershipListener>()
  private readonly now: () => number
  private readonly autoExpire: boolean
  private readonly maxHosts: number
  private readonly maxVouchedPerPeer: number
  /** Listed hosts each peer vouched for. */
  private readonly vouchers = new Map<string, number>()
  /** No entry expires before this: sweeps are free until then. */
  private nextDeadline = Infinity
  private readonly maxClockSkewMs: number
  private readonly lifetimeMs: number | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private timerAt = Infinity
  private closed = false

  constructor (options: RoutingTableOptions = {}) {
    this.now = options.now ?? Date.now
    this.autoExpire = options.autoExpire ?? true
    this.maxHosts = options.maxHosts ?? clusterLimits.maxHosts
    this.maxVouchedPerPeer = options.maxVouchedPerPeer ?? clusterLimits.maxVouchedPerPeer
    this.maxClockSkewMs = options.maxClockSkewMs ?? clusterLimits.maxClockSkewMs
    this.lifetimeMs = options.lifetimeMs
  }

  /**
   * Applies a heartbeat received from `peer` with pubsub sequence number `seq`. `ageMs` is how long ago it was
   * first received (a record handed over by another host): it counts against the TTL, and one already expired is stale.
   * Whatever the age says, the record lives at most until its signed issue time + TTL + maxClockSkewMs: the age,
   * which is not signed, can only shorten its life, so no host handing a record on can bring back a dead host.
   * `vouchedBy` is the peer that handed the record on, when it is not its author (see Admission above).
   */
  apply (peer: string, seq: bigint, hb: Heartbeat, ageMs = 0, vouchedBy?: string): Outcome {
    const now = this.now()
    this.sweep(now)
    const ttlMs = effectiveTtlMs(hb.ttlMs)
    const lifeMs = this.lifetimeMs ?? ttlMs
    const age = Math.max(0, ageMs)
    if (age >= lifeMs) return 'stale'
    if (!Number.isFinite(hb.issuedAtMs) || hb.issuedAtMs > now + this.maxClockSkewMs) return 'stale'
    const deadline = Math.min(now + lifeMs - age, hb.issuedAtMs + lifeMs + this.maxClockSkewMs)
    if (deadline <= now) return 'stale'
    const old = this.entries.get(peer)
    if (old === undefined && !hb.leaving && !this.admit(vouchedBy)) return 'refused'
    let h = this.history.get(peer)
    if (h !== undefined && h.forgetAt <= now && !this.entries.has(peer)) {
      this.history.delete(peer)
      h = undefined
    }
    if (h !== undefined) {
      if (old?.vouchedBy !== undefined && this.heardDirectlyAgain(peer, seq, vouchedBy) && old.record.instance === hb.instance) {
        // Handed on from now.
        this.unvouch(old.vouchedBy)
        old.vouchedBy = undefined
        return 'unchanged'
      }
      if (h.instance === hb.instance && seq <= h.seq) return 'stale'
      if (h.retired.includes(hb.instance)) return 'stale'
    } else if (this.history.size >= 2 * this.maxHosts) {
      // Listed hosts and, at most as many again, hosts gone but remembered.
      this.forgetOldest(now)
      if (this.history.size >= 2 * this.maxHosts) return 'stale'
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
    h.failed = undefined
    h.addrs = undefined
    // Remembered until any heartbeat of this boot it could tell stale would be dead by its issue time anyway.
    h.forgetAt = Math.max(now + 2 * ttlMs, deadline)

    if (hb.leaving) {
      if (old === undefined) return 'unchanged'
      this.remove1(peer, old)
      this.emit({ type: 'leave', record: old.record, how: 'left' })
      return 'left'
    }

    const record: HostRecord = {
      peer, instance: hb.instance, seq, hostname: hb.hostname, meta: [...hb.meta], addrs: [...hb.addrs], ttlMs, lastSeenMs: Date.now() - age,
      endpoints: [...(hb.endpoints ?? [])], topics: [...(hb.topics ?? [])]
    }
    // Heard directly, a host is nobody's voucher's any more; handed on again, it stays its first voucher's.
    const voucher = old === undefined ? vouchedBy : vouchedBy === undefined ? undefined : old.vouchedBy
    if (old?.vouchedBy !== undefined && voucher === undefined) this.unvouch(old.vouchedBy)
    if (old === undefined && voucher !== undefined) this.vouchers.set(voucher, (this.vouchers.get(voucher) ?? 0) + 1)
    this.entries.set(peer, { record, deadline, vouchedBy: voucher })
    this.nextDeadline = Math.min(this.nextDeadline, deadline)
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

  /**
   * Could a heartbeat from `peer` with sequence number `seq`, handed on by `vouchedBy` if not by its author, change
   * the table (is it not known to be stale, and would a new host be admitted)? Asked before a signature is checked.
   */
  wants (peer: string, seq: bigint, vouchedBy?: string): boolean {
    const h = this.history.get(peer)
    const listed = this.entries.has(peer)
    if (!listed && vouchedBy !== undefined && !this.hasRoomFor(vouchedBy)) return false
    if (this.heardDirectlyAgain(peer, seq, vouchedBy)) return true
    return h === undefined || seq > h.seq || !listed
  }

  /**
   * Removes a live host that stopped answering (a SWIM suspicion timed out), reported as 'expired'. Its incarnation is
   * remembered (removedAt), so the same record handed on again does not bring it back: only a newer one, which
   * only the host can sign, does.
   */
  remove (peer: string): boolean {
    const entry = this.entries.get(peer)
    if (entry === undefined || entry.deadline === Infinity) return false
    this.remove1(peer, entry)
    const h = this.history.get(peer)
    if (h !== undefined) {
      h.failed = true
      h.addrs = entry.record.addrs
    }
    this.emit({ type: 'leave', record: entry.record, how: 'expired' })
    return true
  }

  /** The (instance, seq) at which `peer` was removed by remove(), while that is remembered and it is not listed again. */
  removedAt (peer: string): { instance: bigint, seq: bigint } | undefined {
    const h = this.history.get(peer)
    if (h?.failed !== true || this.entries.has(peer) || h.forgetAt <= this.now()) return undefined
    return { instance: h.instance, seq: h.seq }
  }

  /** `peer` was heard from just now (a SWIM message from it): its record's lastSeenMs says so. */
  touch (peer: string, at: number = Date.now()): void {
    const entry = this.entries.get(peer)
    if (entry !== undefined && entry.deadline !== Infinity && at > entry.record.lastSeenMs) entry.record.lastSeenMs = at
  }

  /** The addresses of a host removed by remove() while remembered (to tell it so when the partition heals). */
  lastAddrs (peer: string): string[] | undefined {
    return this.removedAt(peer) === undefined ? undefined : this.history.get(peer)?.addrs
  }

  /** The peer that vouched for `peer`'s record, while it is not heard directly. */
  voucherOf (peer: string): string | undefined {
    return this.entries.get(peer)?.vouchedBy
  }

  /** Was `peer` only vouched for by another peer, not heard directly? */
  isVouched (peer: string): boolean {
    return this.entries.get(peer)?.vouchedBy !== undefined
  }

  /** Listed hosts `peer` vouched for. */
  vouchedBy (peer: string): number {
    return this.vouchers.get(peer) ?? 0
  }

  /** Puts this node's own record in the table; it never expires (remove it with removeLocal). */
  setLocal (record: HostRecord): void {
    const old = this.entries.get(record.peer)
    if (old?.vouchedBy !== undefined) this.unvouch(old.vouchedBy)
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
    if (now < this.nextDeadline) return
    let next = Infinity
    for (const [peer, entry] of this.entries) {
      if (entry.deadline <= now) {
        this.remove1(peer, entry)
        this.emit({ type: 'leave', record: entry.record, how: 'expired' })
      } else {
        next = Math.min(next, entry.deadline)
      }
    }
    this.nextDeadline = next
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
    if (this.nextDeadline !== Infinity) this.arm(this.nextDeadline)
  }

  private hasRoomFor (vouchedBy: string): boolean {
    return this.vouchedBy(vouchedBy) < this.maxVouchedPerPeer && this.entries.size < this.maxHosts
  }

  /** May a new host join, vouched for by `vouchedBy` or (undefined) heard directly? Makes room for the latter. */
  private admit (vouchedBy: string | undefined): boolean {
    if (vouchedBy !== undefined) return this.hasRoomFor(vouchedBy)
    if (this.entries.size < this.maxHosts) return true
    // Full: push out a host vouched for by the peer that vouched for the most.
    let top: string | undefined
    for (const [voucher, n] of this.vouchers) if (top === undefined || n > this.vouchers.get(top)!) top = voucher
    if (top === undefined) return false
    for (const [peer, entry] of this.entries) {
      if (entry.vouchedBy !== top) continue
      this.remove1(peer, entry)
      this.history.delete(peer)
      this.emit({ type: 'leave', record: entry.record, how: 'expired' })
      return true
    }
    return false
  }

  private remove1 (peer: string, entry: Entry): void {
    this.entries.delete(peer)
    if (entry.vouchedBy !== undefined) this.unvouch(entry.vouchedBy)
  }

  /**
   * Is this the record of a host listed only vouched for, now heard directly (by gossip, from its author, from a peer
   * connected to it)? It ends the vouching.
   */
  private heardDirectlyAgain (peer: string, seq: bigint, vouchedBy: string | undefined): boolean {
    return vouchedBy === undefined && this.isVouched(peer) && seq === this.history.get(peer)?.seq
  }

  private unvouch (voucher: string): void {
    const n = (this.vouchers.get(voucher) ?? 0) - 1
    if (n > 0) this.vouchers.set(voucher, n)
    else this.vouchers.delete(voucher)
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
    a.meta.join('\n') === b.meta.join('\n') && a.addrs.join('\n') === b.addrs.join('\n') &&
    (a.endpoints ?? []).join('\n') === (b.endpoints ?? []).join('\n') && (a.topics ?? []).join('\n') === (b.topics ?? []).join('\n')
}
