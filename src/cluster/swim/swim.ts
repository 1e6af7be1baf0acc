// The SWIM failure detector and disseminator (with Lifeguard's suspicion and local health), independent of how
// messages travel and of how time passes: the node runs it over libp2p streams (swim-transport.ts) and real
// timers, the scale benchmark runs thousands of them over an in-memory network on a simulated clock.
//
// Every probe interval a host pings one random member. No ack within the probe timeout: it asks `indirectProbes`
// others to ping it (ping-req) and relays their acks. No ack by the end of the interval: it suspects the member
// (suspicion.ts) and disseminates the claim. The suspected host, on hearing it, refutes with a newer signed record;
// otherwise each host removes it when its own suspicion times out. Changes (records, claims) ride on every message
// (broadcasts.ts) and on gossip messages sent only while changes are queued, so a quiet cluster costs each host
// one ping and one ack per interval, whatever its size.
import { Broadcasts } from './broadcasts.js'
import { retransmitLimit, type SwimParams } from './params.js'
import { Suspicion } from './suspicion.js'
import { decodeMessage, encodeMessage, headerBytes, type Incarnation, type MessageKind, type SwimMessage, type Update } from './wire.js'

export interface SwimClock {
  now: () => number
  setTimer: (fn: () => void, ms: number) => unknown
  clearTimer: (timer: unknown) => void
}

/** Sends one message; delivery is best effort (a lost message is a failed probe, nothing worse). */
export type SwimSend = (to: string, bytes: Uint8Array) => void

/** What a record did to the member list. 'removed': it is the incarnation that a suspicion removed (the host must refute). */
export interface Applied {
  peer: string
  incarnation: Incarnation
  outcome: 'joined' | 'updated' | 'left' | 'stale' | 'removed'
}

/** The member list SWIM works on: the routing table in the node, a compact table in the simulation. */
export interface MemberStore {
  /** Live members, this host excluded. */
  count: () => number
  /** Up to n distinct live members at random (this host excluded), none for which skip() is true. */
  sample: (n: number, skip?: (peer: string) => boolean) => string[]
  /** Members to gossip queued changes to (default: sample(n)). */
  gossipTargets?: (n: number) => string[]
  /** The member to probe next (default: one at random). */
  probeTarget?: () => string | undefined
  /** Can a message reach `peer` cheaply (an open connection)? Default yes. */
  isNear?: (peer: string) => boolean
  /** A message came from `peer` itself: it was alive just now. */
  heardFrom?: (peer: string) => void
  /** A live member's incarnation; undefined when it is not listed. */
  incarnation: (peer: string) => Incarnation | undefined
  /** Checks a signed record (InvalidArgument when forged or malformed) and applies it. */
  apply: (record: Uint8Array, from: string) => Applied | Promise<Applied>
  /** Removes a member whose suspicion timed out, remembering its incarnation for a while. */
  remove: (peer: string, incarnation: Incarnation) => void
  /** The incarnation at which a still remembered member was removed by suspicion (not one that left). */
  removed: (peer: string) => Incarnation | undefined
  /** A random member removed by suspicion and still remembered. */
  sampleRemoved: () => string | undefined
  /** This host's incarnation. */
  self: () => Incarnation
  /** Signs this host's record anew with a higher seq and returns it: the refutation of a suspicion. */
  refute: () => Uint8Array | Promise<Uint8Array>
}

export interface SwimStats {
  probes: number
  acked: number
  indirect: number
  /** Probes that ended without an ack: each makes this host suspect the member it probed. */
  failed: number
  /** Suspicions started here, by a failed probe or by a claim heard. */
  suspected: number
  refuted: number
  removed: number
  /** Messages that could not be decoded, and records that failed their check. */
  rejected: number
  sent: number
  sentBytes: number
  received: number
  /** Gossip messages sent (queued changes spread to a few members; counted in `sent` too). */
  gossip: number
}

interface Probe { target: string, acked: boolean, asked: number, nacked: number, indirectTimer?: unknown }
interface Relay { requester: string, seq: number, acked: boolean }

export class Swim {
  readonly stats: SwimStats = { probes: 0, acked: 0, indirect: 0, failed: 0, suspected: 0, refuted: 0, removed: 0, rejected: 0, sent: 0, sentBytes: 0, received: 0, gossip: 0 }
  /** Lifeguard's local health multiplier: grows when our probes fail or we are suspected, shrinks as probes succeed. */
  health = 0
  private readonly broadcasts = new Broadcasts()
  private readonly suspicions = new Map<string, { s: Suspicion, timer: unknown }>()
  private readonly probes = new Map<number, Probe>()
  private readonly relays = new Map<number, Relay>()
  /** When each removed member was last told so (at most once per probe interval). */
  private readonly toldRemoved = new Map<string, number>()
  private seq: number
  private running = false
  private probeTimer: unknown
  /** Armed while changes are queued. */
  private gossipTimer: unknown
  private reconnectTimer: unknown
  /** Called when a suspicion removes a member (after store.remove). */
  onRemoved: (peer: string) => void = () => {}

  constructor (
    readonly self: string,
    private readonly store: MemberStore,
    private readonly send: SwimSend,
    private readonly clock: SwimClock,
    readonly params: SwimParams,
    private readonly random: () => number = Math.random
  ) {
    this.seq = Math.floor(random() * 0x7fffffff)
    this.health = params.initialLocalHealth
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.scheduleProbe(this.random() * this.params.probeIntervalMs)
    if (this.broadcasts.size > 0) this.gossipTimer = this.clock.setTimer(this.gossipRound, this.params.gossipIntervalMs * (0.5 + this.random()))
    this.reconnectTimer = this.clock.setTimer(this.reconnectRound, this.params.reconnectIntervalMs * (0.5 + this.random()))
  }

  stop (): void {
    this.running = false
    this.clock.clearTimer(this.probeTimer)
    this.clock.clearTimer(this.gossipTimer)
    this.gossipTimer = undefined
    this.clock.clearTimer(this.reconnectTimer)
    for (const { timer } of this.suspicions.values()) this.clock.clearTimer(timer)
    this.suspicions.clear()
  }

  /** Hands on a record (this host's new one, or one learned outside SWIM, as in a table sync). */
  disseminate (peer: string, record: Uint8Array): void {
    this.enqueue(peer, { type: 'alive', record })
    this.refuted(peer)
  }

  /** A newer record of `peer` arrived outside SWIM (a table sync): it refutes a suspicion of an older one. */
  heard (peer: string): void { this.refuted(peer) }

  /** Sends `record` (this host's leave) to `fanout` random members now, and queues it for the gossip rounds left. */
  leave (record: Uint8Array, fanout: number): void {
    this.enqueue(this.self, { type: 'alive', record })
    for (const to of this.store.sample(fanout)) this.message(to, 'gossip', 0)
  }

  /** Is `peer` suspected now? */
  isSuspected (peer: string): boolean { return this.suspicions.has(peer) }

  /** Changes still queued for dissemination. */
  get queued (): number { return this.broadcasts.size }

  /** A message from `from` (authenticated by the transport, or the simulation). */
  receive (from: string, bytes: Uint8Array): void {
    if (!this.running) return
    this.stats.received++
    let m: SwimMessage
    try {
      m = decodeMessage(bytes)
    } catch {
      this.stats.rejected++
      return
    }
    this.store.heardFrom?.(from)
    for (const u of m.updates) this.onUpdate(from, u)
    this.tellIfRemoved(from)
    switch (m.kind) {
      case 'ping':
        this.message(from, 'ack', m.seq)
        break
      case 'ack': {
        const probe = this.probes.get(m.seq)
        if (probe !== undefined) {
          probe.acked = true
          // An acked probe needs no ping-req: one wake-up a second less on an idle host.
          this.clock.clearTimer(probe.indirectTimer)
          break
        }
        const relay = this.relays.get(m.seq)
        if (relay !== undefined && !relay.acked) {
          relay.acked = true
          this.message(relay.requester, 'ack', relay.seq)
        }
        break
      }
      case 'nack': {
        const probe = this.probes.get(m.seq)
        if (probe !== undefined) probe.nacked++
        break
      }
      case 'ping-req': {
        if (m.target === undefined || m.target === this.self) break
        const seq = this.nextSeq()
        const relay: Relay = { requester: from, seq: m.seq, acked: false }
        this.relays.set(seq, relay)
        this.clock.setTimer(() => { if (!relay.acked && this.running) this.message(relay.requester, 'nack', relay.seq) }, this.params.probeTimeoutMs)
        this.clock.setTimer(() => this.relays.delete(seq), this.params.probeIntervalMs)
        this.message(m.target, 'ping', seq)
        break
      }
      case 'gossip':
        break
    }
  }

  private nextSeq (): number {
    this.seq = (this.seq + 1) >>> 0
    return this.seq
  }

  private periodMs (): number { return this.params.probeIntervalMs * (1 + this.health) }

  private scheduleProbe (delayMs: number): void {
    if (!this.running) return
    const due = this.clock.now() + delayMs
    this.probeTimer = this.clock.setTimer(() => {
      // A timer that fires late means this host is slow (a busy event loop): its acks are late too, so it waits
      // longer before suspecting anyone (Lifeguard's local health, here fed by the lag as well as by failed probes).
      if (this.clock.now() - due > this.params.probeIntervalMs) this.health = Math.min(this.params.maxLocalHealth, this.health + 1)
      this.probe()
    }, delayMs)
  }

  /**
   * Probes `peer` now, out of turn, unless a probe of it is under way: the transport saw its connection break, as
   * it does when a host is killed, so a dead host is suspected at once rather than when its turn comes.
   */
  probeNow (peer: string): void {
    if (!this.running || this.store.incarnation(peer) === undefined) return
    for (const p of this.probes.values()) if (p.target === peer) return
    this.probeOne(peer, this.periodMs())
  }

  private probe (): void {
    const period = this.periodMs()
    const target = this.store.probeTarget !== undefined ? this.store.probeTarget() : this.store.sample(1)[0]
    if (target !== undefined) this.probeOne(target, period)
    this.scheduleProbe(period)
  }

  private probeOne (target: string, period: number): void {
    this.stats.probes++
    const seq = this.nextSeq()
    const probe: Probe = { target, acked: false, asked: 0, nacked: 0 }
    this.probes.set(seq, probe)
    this.message(target, 'ping', seq)
    const timeout = this.params.probeTimeoutMs * (1 + this.health)
    probe.indirectTimer = this.clock.setTimer(() => {
      if (probe.acked || !this.running) return
      this.stats.indirect++
      for (const via of this.store.sample(this.params.indirectProbes, p => p === target)) {
        probe.asked++
        this.message(via, 'ping-req', seq, target)
      }
    }, timeout)
    this.clock.setTimer(() => {
      this.probes.delete(seq)
      if (!this.running) return
      if (probe.acked) {
        this.stats.acked++
        this.health = Math.max(0, this.health - 1)
      } else {
        // Lifeguard: relays that answered (nack) show this host hears others fine: the target is the one that is
        // silent. Without them, this host may be the slow one.
        if (probe.asked > 0 && probe.nacked === 0) this.health = Math.min(this.params.maxLocalHealth, this.health + 1)
        this.stats.failed++
        this.suspect(target, this.self)
      }
    }, period)
  }

  /** Starts or confirms a suspicion of `peer`'s current incarnation, claimed by `from`. */
  private suspect (peer: string, from: string, claimed?: Incarnation): void {
    const inc = this.store.incarnation(peer)
    if (inc === undefined) return
    if (claimed !== undefined && (claimed.instance !== inc.instance || claimed.seq < inc.seq)) return
    const held = this.suspicions.get(peer)
    if (held !== undefined) {
      if (held.s.incarnation.seq === inc.seq && held.s.confirm(from)) {
        this.enqueue(`${peer} ${from}`, { type: 'suspect', peer, ...inc, from })
        this.arm(peer, held)
      }
      return
    }
    const n = this.store.count() + 1
    const expected = Math.min(this.params.suspicionConfirmations, Math.max(0, n - 2))
    const s = new Suspicion(inc, this.clock.now(), this.params.suspicionMinMs, this.params.suspicionMaxMs, expected, from)
    const entry = { s, timer: undefined as unknown }
    this.suspicions.set(peer, entry)
    this.stats.suspected++
    const claim: Update = { type: 'suspect', peer, ...inc, from }
    this.enqueue(peer, claim)
    this.arm(peer, entry)
    // The suspected host hears of it at once, so it can refute before the claim has spread (and before a claim
    // that names several suspectors has shortened the suspicion here): from its prober, and from any host that can
    // reach it without a new connection (so a suspicion of a dead host is no storm of dials).
    if (from === this.self || (this.store.isNear?.(peer) ?? true)) this.send1(peer, { kind: 'gossip', seq: 0, updates: [claim] })
  }

  private arm (peer: string, entry: { s: Suspicion, timer: unknown }): void {
    this.clock.clearTimer(entry.timer)
    entry.timer = this.clock.setTimer(() => {
      if (this.suspicions.get(peer) !== entry || !this.running) return
      this.suspicions.delete(peer)
      const inc = this.store.incarnation(peer)
      if (inc === undefined || inc.instance !== entry.s.incarnation.instance || inc.seq !== entry.s.incarnation.seq) return
      this.store.remove(peer, inc)
      this.stats.removed++
      this.enqueue(peer, { type: 'dead', peer, ...inc, from: this.self }, true)
      this.onRemoved(peer)
    }, Math.max(0, this.deadlineOf(entry.s) - this.clock.now()))
  }

  /** A suspicion's deadline, later while this host is unhealthy: up to twice as late at the worst local health. */
  private deadlineOf (s: Suspicion): number {
    return s.startedAt + (s.deadline - s.startedAt) * (1 + this.health / this.params.maxLocalHealth)
  }

  /** A newer record of `peer` arrived: a suspicion of an older incarnation is refuted. */
  private refuted (peer: string): void {
    const held = this.suspicions.get(peer)
    if (held === undefined) return
    const inc = this.store.incarnation(peer)
    if (inc !== undefined && inc.instance === held.s.incarnation.instance && inc.seq === held.s.incarnation.seq) return
    this.clock.clearTimer(held.timer)
    this.suspicions.delete(peer)
  }

  private onUpdate (from: string, u: Update): void {
    if (u.type === 'alive') {
      let applied: Applied | Promise<Applied>
      try {
        applied = this.store.apply(u.record, from)
      } catch {
        this.stats.rejected++
        return
      }
      if (applied instanceof Promise) applied.then(a => this.onApplied(a, u), () => { this.stats.rejected++ })
      else this.onApplied(applied, u)
      return
    }
    if (u.peer === this.self) {
      const mine = this.store.self()
      if (u.instance !== mine.instance || u.seq < mine.seq) return
      this.stats.refuted++
      this.health = Math.min(this.params.maxLocalHealth, this.health + 1)
      // The refutation goes straight back to whoever told us, and to everyone by gossip.
      const refute = (record: Uint8Array): void => {
        this.disseminate(this.self, record)
        if (this.running) this.send1(from, { kind: 'gossip', seq: 0, updates: [{ type: 'alive', record }] })
      }
      const record = this.store.refute()
      if (record instanceof Promise) record.then(refute, () => {})
      else refute(record)
      return
    }
    // A claim counts only by a host this one lists, not itself (this host knows its own claims): a liar can name
    // neither strangers nor the receiver to shorten a suspicion.
    if (u.from === this.self || u.from === u.peer || this.store.incarnation(u.from) === undefined) return
    this.suspect(u.peer, u.from, { instance: u.instance, seq: u.seq })
  }

  private onApplied (a: Applied, u: Update & { type: 'alive' }): void {
    if (!this.running) return
    if (a.outcome === 'joined' || a.outcome === 'updated' || a.outcome === 'left') {
      this.enqueue(a.peer, u, a.outcome === 'left')
      this.refuted(a.peer)
      if (a.outcome === 'left') this.dropSuspicion(a.peer)
    } else if (a.outcome === 'removed') {
      this.tellIfRemoved(a.peer)
    }
  }

  private dropSuspicion (peer: string): void {
    const held = this.suspicions.get(peer)
    if (held === undefined) return
    this.clock.clearTimer(held.timer)
    this.suspicions.delete(peer)
  }

  /** `peer` was removed by suspicion here but is heard of alive: tell it, so it refutes and both sides list it again. */
  private tellIfRemoved (peer: string): void {
    const inc = this.store.removed(peer)
    if (inc === undefined) return
    const now = this.clock.now()
    const last = this.toldRemoved.get(peer)
    if (last !== undefined && now - last < this.params.probeIntervalMs) return
    if (this.toldRemoved.size >= 1024) this.toldRemoved.clear()
    this.toldRemoved.set(peer, now)
    this.send1(peer, { kind: 'gossip', seq: 0, updates: [{ type: 'dead', peer, ...inc, from: this.self }] })
  }

  /**
   * Queues a change for dissemination; gossip rounds run while any are queued (a quiet cluster wakes no timer for them).
   * An urgent one (a leave, a removal: what users wait to see) goes out at once rather than at the next round: each
   * host it reaches hands it on without waiting, so it crosses the ring of connections in a few network hops.
   */
  private enqueue (key: string, u: Update, urgent = false): void {
    this.broadcasts.add(key, u)
    if (urgent && this.running) {
      this.clock.clearTimer(this.gossipTimer)
      this.gossipTimer = this.clock.setTimer(this.gossipRound, 0)
    } else if (this.gossipTimer === undefined && this.running) {
      this.gossipTimer = this.clock.setTimer(this.gossipRound, this.params.gossipIntervalMs * (0.5 + this.random()))
    }
  }

  private readonly gossipRound = (): void => {
    this.gossipTimer = undefined
    if (!this.running || this.broadcasts.size === 0) return
    const targets = this.store.gossipTargets !== undefined ? this.store.gossipTargets(this.params.gossipFanout) : this.store.sample(this.params.gossipFanout)
    for (const to of targets) this.message(to, 'gossip', 0)
    if (this.broadcasts.size > 0) this.gossipTimer = this.clock.setTimer(this.gossipRound, this.params.gossipIntervalMs)
  }

  private readonly reconnectRound = (): void => {
    if (!this.running) return
    const peer = this.store.sampleRemoved()
    if (peer !== undefined) {
      this.toldRemoved.delete(peer)
      this.tellIfRemoved(peer)
    }
    this.reconnectTimer = this.clock.setTimer(this.reconnectRound, this.params.reconnectIntervalMs * (0.5 + this.random()))
  }

  /** Sends a message of `kind` with as many queued changes as fit (those about `to` first). */
  private message (to: string, kind: MessageKind, seq: number, target?: string): void {
    const limit = retransmitLimit(this.params.retransmitMult, this.store.count() + 1)
    const updates = this.broadcasts.take(this.params.piggybackBytes - headerBytes(kind, target), limit, to)
    const held = kind === 'ping' ? this.suspicions.get(to) : undefined
    if (held !== undefined && !updates.some(u => u.type !== 'alive' && u.peer === to)) {
      // A suspected host pinged hears of the suspicion, so its ack can carry the refutation.
      updates.push({ type: 'suspect', peer: to, ...held.s.incarnation, from: held.s.from })
    }
    if (kind === 'gossip' && updates.length === 0) return
    this.send1(to, { kind, seq, target, updates })
  }

  private send1 (to: string, m: SwimMessage): void {
    const bytes = encodeMessage(m)
    this.stats.sent++
    if (m.kind === 'gossip') this.stats.gossip++
    this.stats.sentBytes += bytes.byteLength
    this.send(to, bytes)
  }
}
