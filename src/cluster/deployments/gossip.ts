// How deployment records travel: published on the namespace's deployments topic (gossipsub) when made, and
// exchanged with a peer on every new outbound connection (a joining host gets every record from the hosts it
// dials, as the membership table sync hands it their records) and every syncIntervalMs with one random connected
// peer (anti-entropy). Exchanges send digests first (name, version, author per record), then only the records
// the other side lacks or holds older. Every record is verified before it is applied; one that does not verify
// is dropped and logged.
import type { Connection, Stream } from '@libp2p/interface'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { LimitExceeded } from '../../errors.js'
import type { DeploymentGossipComponents } from '../components.js'
import { deploySyncProtocol, deploymentsTopic } from '../names.js'
import { newStreamWithin, timeoutSignal } from '../timeout-signal.js'
import { deployLimits, deploySyncLimits } from './limits.js'
import { verifyDeployment, type SignedDeployment } from './record.js'
import type { DeploymentStore } from './store.js'

const log = logger('ww:cluster:deploy')

type Digest = Array<[name: string, version: number, author: string]>

export class DeploymentGossip {
  private timer: ReturnType<typeof setInterval> | undefined
  private running = false
  readonly topic: string
  readonly protocol: string
  /** Records dropped because they did not verify (for tests and logs). */
  rejected = 0

  constructor (private readonly components: DeploymentGossipComponents, private readonly ns: string, private readonly store: DeploymentStore) {
    this.topic = deploymentsTopic(ns)
    this.protocol = deploySyncProtocol(ns)
  }

  private get gossip (): GossipSub { return this.components.pubsub }

  async start (): Promise<void> {
    this.running = true
    this.gossip.topicValidators.set(this.topic, (_from, msg) => msg.data.byteLength > deployLimits.maxRecordBytes ? TopicValidatorResult.Reject : TopicValidatorResult.Accept)
    this.gossip.addEventListener('message', this.onMessage)
    this.gossip.subscribe(this.topic)
    await this.components.registrar.handle(this.protocol, (stream) => { void this.exchange(stream, 'inbound') })
    this.components.events.addEventListener('connection:open', this.onConnection)
    this.timer = setInterval(() => { void this.round() }, deploySyncLimits.syncIntervalMs)
    this.timer.unref?.()
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    clearInterval(this.timer)
    this.components.events.removeEventListener('connection:open', this.onConnection)
    this.gossip.removeEventListener('message', this.onMessage)
    try { this.gossip.unsubscribe(this.topic) } catch { /* stopped */ }
    await this.components.registrar.unhandle(this.protocol).catch(() => {})
  }

  /** Sends a record to every host (those that miss it get it at the next exchange). */
  async publish (s: SignedDeployment): Promise<void> {
    try {
      await this.gossip.publish(this.topic, s.bytes)
    } catch (err: any) {
      log('publish of %s v%d: %s', s.record.name, s.record.version, err?.message)
    }
  }

  /** Verifies and applies a record from elsewhere; false when it was dropped. */
  async receive (bytes: Uint8Array, from: string): Promise<boolean> {
    try {
      const s = await verifyDeployment(this.ns, bytes)
      const outcome = this.store.apply(s)
      if (outcome === 'untrusted') log('deployment %s from %s ignored: its author %s may not run procs here', s.record.name, from, s.record.author)
      if (outcome === 'full') log('deployment %s from %s dropped: %d deployments is the limit (maxDeployments)', s.record.name, from, deployLimits.maxDeployments)
      return outcome === 'applied'
    } catch (err: any) {
      this.rejected++
      log.error('deployment record from %s dropped: %s', from, err?.message)
      return false
    }
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    if (msg.topic !== this.topic) return
    void this.receive(msg.data, msg.type === 'signed' ? msg.from.toString() : 'an unsigned message')
  }

  private readonly onConnection = (evt: CustomEvent<Connection>): void => {
    if (!this.running || evt.detail.direction !== 'outbound') return
    void this.syncWith(evt.detail)
  }

  /** Exchanges records with one random connected peer. */
  async round (): Promise<void> {
    const open = this.components.connectionManager.getConnections().filter(c => c.status === 'open')
    if (open.length > 0) await this.syncWith(open[Math.floor(Math.random() * open.length)])
  }

  private async syncWith (conn: Connection): Promise<void> {
    let stream: Stream
    try {
      stream = await newStreamWithin(conn, this.protocol, deploySyncLimits.syncTimeoutMs)
    } catch (err: any) {
      log('no deployment sync with %s: %s', conn.remotePeer.toString(), err?.message)
      return
    }
    await this.exchange(stream, 'outbound')
  }

  /** Symmetric: send our digest, read theirs, send what they lack, then read what we lack until an empty frame. */
  private async exchange (stream: Stream, side: string): Promise<void> {
    const timeout = timeoutSignal(deploySyncLimits.syncTimeoutMs, 'a deployment sync')
    const { signal } = timeout
    const most = deployLimits.maxDeployments + deployLimits.maxTombstones
    const lp = lpStream(stream, { maxDataLength: Math.max(deployLimits.maxRecordBytes, most * 200) })
    try {
      const mine = this.store.all()
      const digest: Digest = mine.map(s => [s.record.name, s.record.version, s.record.author])
      const sentDigest = lp.write(Buffer.from(JSON.stringify(digest)), { signal })
      sentDigest.catch(() => {})
      const theirs = new Map<string, [number, string]>()
      const parsed = JSON.parse(Buffer.from((await lp.read({ signal })).subarray()).toString('utf8')) as Digest
      if (!Array.isArray(parsed) || parsed.length > most) throw new LimitExceeded(`deployment digest of more than ${most} records`)
      for (const [name, version, author] of parsed) theirs.set(String(name), [Number(version), String(author)])
      await sentDigest
      const lacking = mine.filter(s => {
        const t = theirs.get(s.record.name)
        return t === undefined || t[0] < s.record.version || (t[0] === s.record.version && t[1] < s.record.author)
      })
      const sending = lp.writeV([...lacking.map(s => s.bytes), new Uint8Array(0)], { signal })
      sending.catch(() => {})
      for (let n = 0; ; n++) {
        const buf = (await lp.read({ signal })).subarray()
        if (buf.byteLength === 0) break
        if (n >= most) throw new LimitExceeded(`deployment sync sent more than ${most} records`)
        await this.receive(buf, `sync ${stream.id}`)
      }
      await sending
      await stream.close({ signal })
    } catch (err: any) {
      log('%s deployment sync failed: %s', side, err?.message)
      try { stream.abort(err instanceof Error ? err : new Error(String(err))) } catch { /* gone */ }
    } finally {
      timeout.clear()
    }
  }
}
