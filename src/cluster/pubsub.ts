// Cluster pubsub for the Router/Topic capabilities: namespaced gossipsub topics, local subscribers with bounded buffers.
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import { logger } from '@libp2p/logger'
import { Closed, LimitExceeded } from '../errors.js'
import { clusterLimits } from './limits.js'
import { checkTopicName, userTopic } from './names.js'
import { Subscription } from './subscription.js'

const log = logger('ww:cluster:pubsub')

export class PubSub {
  private readonly topics = new Map<string, Topic>()
  private closed = false
  /** Called when this node subscribes to a topic or leaves one (subscribedTopics changed). */
  onTopicsChanged: (() => void) | undefined

  constructor (private readonly gossip: GossipSub, readonly namespace: string, readonly self: string) {
    gossip.addEventListener('message', this.onMessage)
  }

  /** The topic `name` of this namespace (the same object for the same name). */
  join (name: string): Topic {
    if (this.closed) throw new Closed('pubsub is stopped')
    checkTopicName(name)
    let topic = this.topics.get(name)
    if (topic === undefined) {
      topic = new Topic(this, this.gossip, name, userTopic(this.namespace, name))
      this.topics.set(name, topic)
    }
    return topic
  }

  /** Closes every subscription and leaves every topic. */
  close (): void {
    if (this.closed) return
    this.closed = true
    this.gossip.removeEventListener('message', this.onMessage)
    for (const t of this.topics.values()) t.close()
    this.topics.clear()
  }

  get isClosed (): boolean { return this.closed }

  /** The gossipsub topics this node subscribes to through this object (its user topics). */
  subscribedTopics (): string[] {
    return [...this.topics.values()].filter(t => t.subscriberCount > 0).map(t => t.wireName)
  }

  /** @internal */
  topicsChanged (): void {
    if (!this.closed) this.onTopicsChanged?.()
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    // publish() already delivered our own messages here (gossipsub runs without emitSelf; this guards it).
    if (msg.type === 'signed' && msg.from.toString() === this.self) return
    for (const t of this.topics.values()) {
      if (t.wireName === msg.topic) t.deliver(msg.data, msg.type === 'signed' ? msg.from.toString() : '')
    }
  }
}

export class Topic {
  private readonly subscribers = new Set<Subscription>()

  constructor (private readonly owner: PubSub, private readonly gossip: GossipSub, readonly name: string, readonly wireName: string) {}

  /** Publishes to every subscriber in the cluster, this node's included. Works with no peers at all. */
  async publish (data: Uint8Array): Promise<void> {
    if (this.owner.isClosed) throw new Closed('pubsub is stopped')
    if (data.byteLength > clusterLimits.maxPubsubMessageBytes) {
      throw new LimitExceeded(`message of ${data.byteLength} bytes exceeds maxPubsubMessageBytes (${clusterLimits.maxPubsubMessageBytes})`)
    }
    this.deliver(data, this.owner.self)
    await this.gossip.publish(this.wireName, data)
  }

  /** A new subscription buffering up to `buffer` messages (drop-oldest beyond). */
  subscribe (buffer: number = clusterLimits.defaultSubscriberBuffer): Subscription {
    if (this.owner.isClosed) throw new Closed('pubsub is stopped')
    const sub: Subscription = new Subscription(buffer, () => this.unsubscribe(sub))
    if (this.subscribers.size === 0) {
      this.gossip.topicValidators.set(this.wireName, sizeValidator)
      this.gossip.subscribe(this.wireName)
      log('subscribed %s', this.wireName)
    }
    this.subscribers.add(sub)
    if (this.subscribers.size === 1) this.owner.topicsChanged()
    return sub
  }

  get subscriberCount (): number { return this.subscribers.size }

  /** @internal */
  deliver (data: Uint8Array, from: string): void {
    for (const s of this.subscribers) s.push({ data, from })
  }

  /** @internal */
  close (): void {
    for (const s of [...this.subscribers]) s.close()
  }

  private unsubscribe (sub: Subscription): void {
    if (!this.subscribers.delete(sub) || this.subscribers.size > 0) return
    this.gossip.unsubscribe(this.wireName)
    this.gossip.topicValidators.delete(this.wireName)
    log('unsubscribed %s', this.wireName)
    this.owner.topicsChanged()
  }
}

function sizeValidator (_from: unknown, msg: Message): TopicValidatorResult {
  return msg.data.byteLength > clusterLimits.maxPubsubMessageBytes ? TopicValidatorResult.Reject : TopicValidatorResult.Accept
}
