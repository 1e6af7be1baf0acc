// Table sync, SWIM's push-pull: when this node dials a peer, the two exchange the signed records behind their
// routing tables, so a newcomer knows the whole cluster after one round trip on its first connection (and the peer
// hands the newcomer's record on through SWIM's gossip).
// Besides, rounds of anti-entropy: the node exchanges tables with one random connected peer, every
// syncRoundMinMs while hosts keep joining (the cluster is changing: a record may have raced a new connection
// and missed someone), for syncSettleMs after the last join and, until syncRepairMs after it, while its rounds find
// tables that differ; then at doubling intervals up to syncRoundMaxMs,
// scaled up in larger clusters (syncRoundMaxMs()). This repairs what gossip missed, and carries the records hosts
// sign anew every recordRefreshMs to everyone.
//
// Protocol /ww/<ns>/cluster-sync/1.0.0, symmetric: each side writes its records as length-prefixed frames
// (4-byte big-endian age in milliseconds, then the signed pubsub message), then one empty frame, and reads
// the other's until its empty frame. Each record is verified against its author's key before it is applied.
//
// Against a hostile peer: records of hosts new to us that the peer vouches for (it is not their author) are admitted
// within its quota (routing-table.ts) and at most maxVouchedChecksPerSync signatures of them are checked per exchange;
// a peer has one inbound exchange at a time; the work per exchange is linear in the records exchanged.
import type { Connection, Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { InvalidArgument, LimitExceeded } from '../errors.js'
import type { TableSyncComponents } from './components.js'
import { clusterLimits } from './limits.js'
import type { Membership, SignedRecord, SyncSource } from './membership.js'
import type { RoutingTable } from './routing-table.js'
import { newStreamWithin, timeoutSignal } from './timeout-signal.js'

const log = logger('ww:cluster:sync')

export class TableSync {
  private running = false
  private timer: ReturnType<typeof setTimeout> | undefined
  private roundAt = Infinity
  private delayMs: number = clusterLimits.syncRoundMinMs
  private unwatch: (() => void) | undefined
  private lastJoinAt = Date.now()
  /** Peers with an inbound exchange under way. */
  private readonly inbound = new Set<string>()
  /** Exchanges completed (both directions), for tests and benchmarks. */
  exchanges = 0

  constructor (
    private readonly components: TableSyncComponents,
    readonly protocol: string,
    private readonly membership: Membership,
    private readonly table: RoutingTable,
    /** Anti-entropy rounds' protocol: digests first (names.ts digestSyncProtocol). */
    readonly digestProtocol: string
  ) {}

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    await this.components.registrar.handle(this.protocol, (stream, conn) => { void this.inboundExchange(stream, conn) })
    await this.components.registrar.handle(this.digestProtocol, (stream, conn) => { void this.inboundExchange(stream, conn, true) })
    this.components.events.addEventListener('connection:open', this.onConnection)
    this.unwatch = this.table.watch(ev => { if (ev.type === 'join') this.hurry() })
    this.schedule(this.delayMs)
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    clearTimeout(this.timer)
    this.timer = undefined
    this.unwatch?.()
    this.components.events.removeEventListener('connection:open', this.onConnection)
    await this.components.registrar.unhandle(this.protocol)
    await this.components.registrar.unhandle(this.digestProtocol)
  }

  /** Hands `records` (our leaving heartbeat) to every connected peer, waiting at most timeoutMs. */
  async push (records: SignedRecord[], timeoutMs: number): Promise<void> {
    await Promise.allSettled(this.components.connectionManager.getConnections().filter(c => c.status === 'open').map(async conn => {
      const signal = AbortSignal.timeout(timeoutMs)
      const stream = await conn.newStream(this.protocol, { signal })
      await this.exchange(stream, 'push', undefined, records, signal)
    }))
  }

  /**
   * Only the dialing side starts the exchange, so each connection carries one; and only with a peer not listed here
   * (a newcomer, a bootstrap peer, a host on the other side of a healed partition) or before this node's first
   * exchange: a connection SWIM opens to probe a member it lists needs none, anti-entropy rounds do the rest.
   */
  private readonly onConnection = (evt: CustomEvent<Connection>): void => {
    const conn = evt.detail
    if (!this.running || conn.direction !== 'outbound') return
    if (this.exchanges > 0 && this.table.lookup(conn.remotePeer.toString()) !== undefined) return
    void this.syncWith(conn)
  }

  /** A host joined: run a round soon, and at short intervals again after it. */
  private hurry (): void {
    this.lastJoinAt = Date.now()
    this.delayMs = clusterLimits.syncRoundMinMs
    if (this.roundAt > Date.now() + this.delayMs) this.schedule(this.delayMs)
  }

  private schedule (delayMs: number): void {
    if (!this.running) return
    clearTimeout(this.timer)
    const delay = delayMs * (0.75 + Math.random() / 2)
    this.roundAt = Date.now() + delay
    this.timer = setTimeout(() => { void this.round() }, delay)
    this.timer.unref?.()
  }

  private async round (): Promise<void> {
    this.timer = undefined
    this.roundAt = Infinity
    const open = this.components.connectionManager.getConnections().filter(c => c.status === 'open')
    const differed = open.length > 0 && await this.syncWith(open[Math.floor(Math.random() * open.length)], true)
    this.delayMs = nextRoundDelayMs(this.delayMs, Date.now() - this.lastJoinAt, differed, this.table.size)
    if (this.timer === undefined) this.schedule(this.delayMs)
  }

  /** True when the two tables differed. */
  private async syncWith (conn: Connection, digestFirst = false): Promise<boolean> {
    let stream: Stream
    try {
      stream = await newStreamWithin(conn, digestFirst ? this.digestProtocol : this.protocol, clusterLimits.syncTimeoutMs)
    } catch (err: any) {
      log('no table sync with %s: %s', conn.remotePeer.toString(), err?.message)
      return false
    }
    return await this.exchange(stream, 'outbound', conn, undefined, undefined, digestFirst)
  }

  private async inboundExchange (stream: Stream, conn: Connection, digestFirst = false): Promise<void> {
    const peer = conn.remotePeer.toString()
    if (this.inbound.has(peer)) {
      stream.abort(new LimitExceeded(`a table sync with ${peer} is already under way`))
      return
    }
    this.inbound.add(peer)
    try {
      await this.exchange(stream, 'inbound', conn, undefined, undefined, digestFirst)
    } finally {
      this.inbound.delete(peer)
    }
  }

  /**
   * Sends our records (or `push`, applying nothing back) and applies those of the peer at the other end of `conn`.
   * `digestFirst` (protocol 2.0.0): each side first sends a digest of what it holds (Membership.digest), then only
   * the records the other lacks or holds older. True when the two tables differed.
   */
  private async exchange (stream: Stream, side: string, conn?: Connection, push?: SignedRecord[], pushSignal?: AbortSignal, digestFirst = false): Promise<boolean> {
    const timeout = pushSignal === undefined ? timeoutSignal(clusterLimits.syncTimeoutMs, 'a table sync') : undefined
    const signal = pushSignal ?? timeout!.signal
    const lp = lpStream(stream, { maxDataLength: digestFirst ? 2 * clusterLimits.maxHosts * 24 : clusterLimits.maxHeartbeatBytes + 1024 })
    try {
      let records: SignedRecord[]
      let news = 0
      if (digestFirst) {
        const sent = lp.write(this.membership.digest(), { signal })
        sent.catch(() => {})
        const theirs = (await lp.read({ signal })).subarray()
        await sent
        const compared = this.membership.compareDigest(theirs)
        records = compared.missing
        news = compared.news
      } else {
        records = push ?? this.membership.signedRecords()
      }
      records = records.slice(0, clusterLimits.maxHosts)
      const sending = lp.writeV([...records.map(frame), new Uint8Array(0)], { signal })
      // Reading may fail first: the write's failure must not go unhandled meanwhile.
      sending.catch(() => {})
      let applied = 0
      const source: SyncSource | undefined = conn === undefined
        ? undefined
        : { peer: conn.remotePeer.toString(), connected: this.connectedPeers(), checks: clusterLimits.maxVouchedChecksPerSync }
      for (let n = 0; ; n++) {
        const buf = (await lp.read({ signal })).subarray()
        if (buf.byteLength === 0) break
        if (n >= clusterLimits.maxHosts) throw new LimitExceeded(`table sync sent more than ${clusterLimits.maxHosts} records`)
        if (buf.byteLength < 4) throw new InvalidArgument('table sync frame shorter than its 4-byte age')
        const ageMs = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, false)
        if (push !== undefined) continue
        try {
          const outcome = await this.membership.applySigned({ ageMs, message: buf.subarray(4) }, source)
          if (outcome === 'joined' || outcome === 'updated') applied++
        } catch (err: any) {
          // One bad record (a forged signature, a malformed heartbeat) is dropped; the rest still count.
          log('table sync record from %s rejected: %s', stream.id, err?.message)
        }
      }
      await sending
      log('%s table sync: sent %d, applied %d', side, records.length, applied)
      await stream.close({ signal })
      this.exchanges++
      return news > 0 || records.length > 0 || applied > 0
    } catch (err: any) {
      log('%s table sync failed: %s', side, err?.message)
      try { stream.abort(err instanceof Error ? err : new Error(String(err))) } catch { /* already gone */ }
      return false
    } finally {
      timeout?.clear()
    }
  }

  private connectedPeers (): Set<string> {
    return new Set(this.components.connectionManager.getConnections().filter(c => c.status === 'open').map(c => c.remotePeer.toString()))
  }
}

/**
 * The wait before the next anti-entropy round, after one that came `sinceJoinMs` after the last join and found the
 * tables differing or not, in a cluster of n hosts.
 */
export function nextRoundDelayMs (delayMs: number, sinceJoinMs: number, differed: boolean, n: number): number {
  const L = clusterLimits
  const settling = sinceJoinMs < L.syncSettleMs || (differed && sinceJoinMs < L.syncRepairMs)
  return settling ? L.syncRoundMinMs : Math.min(delayMs * 2, syncRoundMaxMs(n))
}

/** The longest interval between rounds in a cluster of n hosts: longer in larger clusters (as memberlist's push-pull). */
export function syncRoundMaxMs (n: number): number {
  const L = clusterLimits
  return L.syncRoundMaxMs * (n <= L.syncScaleHosts ? 1 : 1 + Math.ceil(Math.log2(n / L.syncScaleHosts)))
}

function frame (r: SignedRecord): Uint8Array {
  const out = new Uint8Array(4 + r.message.byteLength)
  new DataView(out.buffer).setUint32(0, Math.min(0xffffffff, Math.max(0, Math.round(r.ageMs))), false)
  out.set(r.message, 4)
  return out
}
