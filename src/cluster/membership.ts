// Membership: publish this host's heartbeat on the cluster topic and fill the routing table from everyone's.
//
// The table is updated inside the topic validator, so gossipsub relays only heartbeats that changed something
// (Accept), drops stale ones silently (Ignore) and penalizes peers that send malformed ones (Reject).
// Each accepted heartbeat is also kept as the signed message it came in, so the table can be handed to a newly
// connected peer (table-sync.ts), which checks every record's signature itself: a newcomer learns the whole
// cluster from its first connection, and membership does not depend on the gossipsub mesh being complete.
// Besides the jittered period, a host that has not yet reached any peer with a heartbeat (it published before it
// had a connection) publishes again shortly after the first peer subscribes, so the cluster hears of it at once.
import { randomBytes } from 'node:crypto'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { GossipSub, Message, SignedMessage, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { decodeHeartbeat, effectiveTtlMs, encodeHeartbeat, type Heartbeat } from './heartbeat.js'
import { clusterLimits } from './limits.js'
import type { RoutingTable, HostRecord, Outcome } from './routing-table.js'
import { encodeSignedMessage, verifySignedMessage } from './signed-heartbeat.js'

const log = logger('ww:cluster:membership')

export interface MembershipOptions {
  pubsub: GossipSub
  peerId: PeerId
  table: RoutingTable
  topic: string
  ttlMs: number
  hostname: string
  meta: string[]
  /** Current listen addresses, read at every heartbeat. */
  addrs: () => string[]
  /** Uniform random in [0, 1), for the jitter (default Math.random). */
  random?: () => number
}

export interface MembershipStats {
  published: number
  publishErrors: number
  accepted: number
  ignored: number
  rejected: number
  /** Records received from a peer's table (table sync) that changed ours. */
  synced: number
  /** Records of new hosts refused: their voucher's quota or the table was full. */
  refused: number
}

/** Who handed a record over in a table sync, and the peers we are connected to (their records count as direct). */
export interface SyncSource {
  peer: string
  connected: ReadonlySet<string>
  /** Signatures still to be checked in this exchange for new hosts the peer vouches for; counted down. */
  checks: number
}

/** A heartbeat as its author signed it, and how long ago it was first received. */
export interface SignedRecord {
  ageMs: number
  message: Uint8Array
}

interface Kept { message: Uint8Array, receivedAt: number }
interface KeptLeave extends Kept { ttlMs: number }

export class Membership {
  readonly instance: bigint = randomBytes(8).readBigUInt64BE()
  readonly stats: MembershipStats = { published: 0, publishErrors: 0, accepted: 0, ignored: 0, rejected: 0, synced: 0, refused: 0 }
  private readonly o: MembershipOptions
  private readonly self: string
  private localSeq = 0n
  private periodic: ReturnType<typeof setTimeout> | undefined
  private nudge: ReturnType<typeof setTimeout> | undefined
  private unwatch: (() => void) | undefined
  private running = false
  /** Has a heartbeat of ours reached at least one peer? */
  private announced = false
  /** Our signed leaving heartbeat, once stop() published it (handed to peers directly as well). */
  leavingRecord: SignedRecord | undefined
  /** The signed heartbeat behind each live record, this host's own included. */
  private readonly signed = new Map<string, Kept>()
  /**
   * Others' leaving heartbeats, handed on by table sync until their TTL passes: a leave reaches through gossip only
   * the peers in the mesh at that moment, and a host that missed it would otherwise keep the record for a whole TTL.
   */
  private readonly leaves = new Map<string, KeptLeave>()

  constructor (options: MembershipOptions) {
    this.o = options
    this.self = options.peerId.toString()
  }

  start (): void {
    if (this.running) return
    this.running = true
    const { pubsub, topic, table } = this.o
    pubsub.topicValidators.set(topic, this.validate)
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    pubsub.addEventListener('message', this.onOwnMessage)
    pubsub.subscribe(topic)
    this.unwatch = table.watch(ev => {
      if (ev.type === 'leave' && ev.record.peer !== this.self) this.signed.delete(ev.record.peer)
    })
    void this.beat()
    this.schedulePeriodic()
  }

  /** Publishes a leaving heartbeat (waiting at most leaveTimeoutMs) and stops. */
  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    clearTimeout(this.periodic)
    clearTimeout(this.nudge)
    this.unwatch?.()
    const { pubsub, topic, table } = this.o
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    table.removeLocal(this.self)
    this.signed.clear()
    this.leaves.clear()
    try {
      await withTimeout(pubsub.publish(topic, encodeHeartbeat(this.heartbeat(true))), clusterLimits.leaveTimeoutMs)
    } catch (err) {
      log('leaving heartbeat not sent: %s', (err as Error).message)
    }
    pubsub.removeEventListener('message', this.onOwnMessage)
    pubsub.unsubscribe(topic)
    pubsub.topicValidators.delete(topic)
  }

  /**
   * Interval until the next periodic heartbeat: uniform in [TTL/3, TTL/2). Others drop this host
   * TTL after its last heartbeat, so each one may arrive up to TTL/2 late (a busy event loop, a
   * gossip hop) and the host stays listed. (Wetware's [TTL/2, TTL) leaves no slack at its top.)
   */
  nextIntervalMs (): number {
    const ttl = this.o.ttlMs
    return ttl / 3 + (this.o.random ?? Math.random)() * (ttl / 2 - ttl / 3)
  }

  private heartbeat (leaving: boolean): Heartbeat {
    return {
      instance: this.instance,
      hostname: this.o.hostname,
      meta: this.o.meta,
      ttlMs: this.o.ttlMs,
      addrs: this.o.addrs().slice(0, clusterLimits.maxAddrs),
      leaving,
      issuedAtMs: Date.now()
    }
  }

  private async beat (): Promise<void> {
    if (!this.running) return
    const hb = this.heartbeat(false)
    const record: HostRecord = {
      peer: this.self, instance: hb.instance, seq: ++this.localSeq, hostname: hb.hostname,
      meta: [...hb.meta], addrs: [...hb.addrs], ttlMs: hb.ttlMs, lastSeenMs: Date.now()
    }
    this.o.table.setLocal(record)
    try {
      const result = await this.o.pubsub.publish(this.o.topic, encodeHeartbeat(hb))
      this.stats.published++
      if (result.recipients.some(p => !p.equals(this.o.peerId))) this.announced = true
    } catch (err) {
      this.stats.publishErrors++
      log('heartbeat not published: %s', (err as Error).message)
    }
  }

  private schedulePeriodic (): void {
    if (!this.running) return
    this.periodic = setTimeout(() => {
      void this.beat()
      this.schedulePeriodic()
    }, this.nextIntervalMs())
  }

  private scheduleNudge (): void {
    if (!this.running || this.nudge !== undefined) return
    this.nudge = setTimeout(() => {
      this.nudge = undefined
      void this.beat()
    }, clusterLimits.nudgeDelayMs)
  }

  private readonly onSubscriptionChange = (evt: CustomEvent<SubscriptionChangeData>): void => {
    if (!this.announced && evt.detail.subscriptions.some(s => s.subscribe && s.topic === this.o.topic)) this.scheduleNudge()
  }

  /** Our own heartbeats come back here (gossipsub emitSelf): keep the signed form for table sync. */
  private readonly onOwnMessage = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    if (msg.type !== 'signed' || msg.topic !== this.o.topic || !msg.from.equals(this.o.peerId)) return
    if (!this.running) {
      // The leaving heartbeat: a peer whose gossipsub stream to us is not up yet gets it through table sync.
      if (decodeLeaving(msg.data)) this.leavingRecord = { ageMs: 0, message: encodeSignedMessage(msg) }
      return
    }
    this.keep(this.self, msg, 0)
  }

  /**
   * The signed heartbeats behind the live records, for a peer that asks for our table. Records only vouched for by
   * another peer are not handed on until their host is heard directly: a flood stops at the node it was sent to.
   */
  signedRecords (): SignedRecord[] {
    const now = Date.now()
    const out: SignedRecord[] = []
    const { table } = this.o
    for (const [peer, kept] of this.signed) {
      if (peer !== this.self && (table.lookup(peer) === undefined || table.isVouched(peer))) continue
      out.push({ ageMs: now - kept.receivedAt, message: kept.message })
    }
    for (const [peer, kept] of this.leaves) {
      if (now - kept.receivedAt >= kept.ttlMs) this.leaves.delete(peer)
      else out.push({ ageMs: now - kept.receivedAt, message: kept.message })
    }
    return out
  }

  /**
   * Applies a record handed over by `source` (a table sync peer; none for a record of unknown origin taken as direct):
   * the signature is checked like a pubsub message's, unless the table would not take the record anyway.
   */
  async applySigned (record: SignedRecord, source?: SyncSource): Promise<Outcome> {
    if (!this.running) return 'stale'
    const { table } = this.o
    const voucher = (author: string): string | undefined =>
      source === undefined || author === source.peer || source.connected.has(author) ? undefined : source.peer
    let refused = false
    const msg = await verifySignedMessage(record.message, this.o.topic, (author, seq) => {
      if (author === this.self) return false
      const by = voucher(author)
      if (!table.wants(author, seq, by)) {
        refused = by !== undefined && table.lookup(author) === undefined
        return false
      }
      if (by === undefined || table.lookup(author) !== undefined) return true
      if (source!.checks <= 0) {
        refused = true
        return false
      }
      source!.checks--
      return true
    })
    if (refused) this.stats.refused++
    if (msg === undefined || !this.running) return refused ? 'refused' : 'stale'
    const sender = msg.from.toString()
    const hb = decodeHeartbeat(msg.data)
    const outcome = table.apply(sender, msg.sequenceNumber, hb, record.ageMs, voucher(sender))
    if (outcome === 'refused') this.stats.refused++
    if (outcome === 'joined' || outcome === 'updated') {
      this.stats.synced++
      this.keep(sender, msg, record.ageMs, record.message.slice())
    } else if (outcome === 'left') {
      this.stats.synced++
      this.keepLeave(sender, hb, record.ageMs, record.message.slice())
    }
    return outcome
  }

  /**
   * Keeps the signed form of a live (not leaving) heartbeat; `wire` is the bytes it came in, when at hand.
   * Callers know it is live: the table took it as a join or an update, or we sent it while running.
   */
  private keep (peer: string, msg: SignedMessage, ageMs: number, wire?: Uint8Array): void {
    this.signed.set(peer, { message: wire ?? encodeSignedMessage(msg), receivedAt: Date.now() - Math.max(0, ageMs) })
    this.leaves.delete(peer)
  }

  /** Keeps the signed form of a leave that dropped `peer` from the table, to hand on until its TTL passes. */
  private keepLeave (peer: string, hb: Heartbeat, ageMs: number, wire: Uint8Array): void {
    this.signed.delete(peer)
    if (this.leaves.size >= clusterLimits.maxHosts) return
    this.leaves.set(peer, { message: wire, receivedAt: Date.now() - Math.max(0, ageMs), ttlMs: effectiveTtlMs(hb.ttlMs) })
  }

  private readonly validate = (_from: PeerId, msg: Message): TopicValidatorResult => {
    if (msg.type !== 'signed') return this.count(TopicValidatorResult.Reject)
    const sender = msg.from.toString()
    if (sender === this.self) return this.count(TopicValidatorResult.Ignore)
    let hb: Heartbeat
    try {
      hb = decodeHeartbeat(msg.data)
    } catch (err) {
      log('rejected heartbeat from %s: %s', sender, (err as Error).message)
      return this.count(TopicValidatorResult.Reject)
    }
    const outcome = this.o.table.apply(sender, msg.sequenceNumber, hb)
    if (outcome === 'joined' || outcome === 'updated') this.keep(sender, msg, 0)
    else if (outcome === 'left') this.keepLeave(sender, hb, 0, encodeSignedMessage(msg))
    return this.count(outcome === 'stale' || outcome === 'refused' ? TopicValidatorResult.Ignore : TopicValidatorResult.Accept)
  }

  private count (result: TopicValidatorResult): TopicValidatorResult {
    if (result === TopicValidatorResult.Accept) this.stats.accepted++
    else if (result === TopicValidatorResult.Ignore) this.stats.ignored++
    else this.stats.rejected++
    return result
  }
}

async function withTimeout<T> (p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}

function decodeLeaving (data: Uint8Array): boolean {
  try { return decodeHeartbeat(data).leaving } catch { return true }
}
