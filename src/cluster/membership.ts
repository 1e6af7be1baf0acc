// Membership: publish this host's heartbeat on the cluster topic and fill the routing table from everyone's.
//
// The table is updated inside the topic validator, so gossipsub relays only heartbeats that changed something
// (Accept), drops stale ones silently (Ignore) and penalizes peers that send malformed ones (Reject).
// Besides the jittered period, a heartbeat is also sent shortly after a new peer subscribes to the topic or a
// new host joins the table, so a newcomer learns of everyone within a round trip instead of a TTL.
import { randomBytes } from 'node:crypto'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { GossipSub, Message, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { decodeHeartbeat, encodeHeartbeat, type Heartbeat } from './heartbeat.js'
import { clusterLimits } from './limits.js'
import type { RoutingTable, HostRecord } from './routing-table.js'

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
}

export class Membership {
  readonly instance: bigint = randomBytes(8).readBigUInt64BE()
  readonly stats: MembershipStats = { published: 0, publishErrors: 0, accepted: 0, ignored: 0, rejected: 0 }
  private readonly o: MembershipOptions
  private readonly self: string
  private localSeq = 0n
  private periodic: ReturnType<typeof setTimeout> | undefined
  private nudge: ReturnType<typeof setTimeout> | undefined
  private unwatch: (() => void) | undefined
  private running = false

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
    pubsub.subscribe(topic)
    this.unwatch = table.watch(ev => {
      if (ev.type === 'join' && ev.record.peer !== this.self) this.scheduleNudge()
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
    try {
      await withTimeout(pubsub.publish(topic, encodeHeartbeat(this.heartbeat(true))), clusterLimits.leaveTimeoutMs)
    } catch (err) {
      log('leaving heartbeat not sent: %s', (err as Error).message)
    }
    pubsub.unsubscribe(topic)
    pubsub.topicValidators.delete(topic)
  }

  /** Interval until the next periodic heartbeat: uniform in [TTL/2, TTL). */
  nextIntervalMs (): number {
    const half = this.o.ttlMs / 2
    return half + (this.o.random ?? Math.random)() * half
  }

  private heartbeat (leaving: boolean): Heartbeat {
    return {
      instance: this.instance,
      hostname: this.o.hostname,
      meta: this.o.meta,
      ttlMs: this.o.ttlMs,
      addrs: this.o.addrs().slice(0, clusterLimits.maxAddrs),
      leaving
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
      await this.o.pubsub.publish(this.o.topic, encodeHeartbeat(hb))
      this.stats.published++
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
    if (evt.detail.subscriptions.some(s => s.subscribe && s.topic === this.o.topic)) this.scheduleNudge()
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
    return this.count(outcome === 'stale' ? TopicValidatorResult.Ignore : TopicValidatorResult.Accept)
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
