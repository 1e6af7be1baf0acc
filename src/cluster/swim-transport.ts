// SWIM messages over libp2p: protocol /ww/<ns>/swim/1.0.0, length-prefixed messages on one long-lived stream per
// peer and direction, so a probe costs a data frame, not a stream's set-up and protocol negotiation. A message to a
// member goes over the connection already open to it, or a new one dialed at the addresses its record lists (none
// listed: it is not sent, and the probe fails). The stream's remote peer, authenticated by noise, is the sender.
// Sending is best effort, like the datagrams SWIM was made for: a message that cannot go within swimSendTimeoutMs is
// lost, and its stream is dropped (the next message opens another).
import type { Stream, Connection } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { SwimTransportComponents } from './components.js'
import { clusterLimits } from './limits.js'

const log = logger('ww:cluster:swim')

interface Outbound { stream: Stream, lp: LengthPrefixedStream<Stream>, queue: Promise<void> }

export class SwimTransport {
  private running = false
  private readonly inFlight = new Set<Promise<void>>()
  /** The stream to each peer, opening or open, least recently used first. */
  private readonly outbound = new Map<string, Promise<Outbound>>()
  private readonly inbound = new Set<Stream>()
  /** Told of every message received: the sender's peer ID and the bytes. */
  onMessage: (from: string, bytes: Uint8Array) => void = () => {}
  /** Told of a stream that broke off in a frame (oversized, cut short). */
  onUnreadable: () => void = () => {}
  /** When a message last went to or came from each peer (Date.now()); bounded like the streams. */
  private readonly active = new Map<string, number>()
  /** Messages sent, and lost (not written within the timeout); streams opened. */
  sent = 0
  lost = 0
  opened = 0

  constructor (
    private readonly components: SwimTransportComponents,
    readonly protocol: string,
    /** The listen addresses a member's record gives, to dial it when not connected. */
    private readonly addrsOf: (peer: string) => readonly string[] | undefined
  ) {}

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    await this.components.registrar.handle(this.protocol, (stream, conn) => { void this.receive(stream, conn) }, { maxInboundStreams: 4 })
  }

  /** Stops receiving; messages still being sent get `timeoutMs` to go, then every stream is closed. */
  async stop (timeoutMs: number): Promise<void> {
    if (!this.running) return
    this.running = false
    await this.flush(timeoutMs)
    await this.components.registrar.unhandle(this.protocol)
    for (const [peer, out] of this.outbound) this.drop(peer, out)
    for (const s of this.inbound) s.abort(new Error('SWIM stopped'))
  }

  /** Waits (at most timeoutMs) for the messages being sent. */
  async flush (timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise(resolve => { timer = setTimeout(resolve, timeoutMs) })
    ])
    clearTimeout(timer)
  }

  isConnected (peer: string): boolean {
    try {
      return this.components.connectionManager.getConnections(peerIdFromString(peer)).some(c => c.status === 'open')
    } catch { return false }
  }

  /** When a message last went to or came from `peer`, if one did lately. */
  lastActive (peer: string): number | undefined { return this.active.get(peer) }

  private touch (peer: string): void {
    this.active.delete(peer)
    this.active.set(peer, Date.now())
    if (this.active.size > 4 * clusterLimits.maxSwimStreams) this.active.delete(this.active.keys().next().value!)
  }

  send = (to: string, bytes: Uint8Array): void => {
    this.touch(to)
    const p = this.deliver(to, bytes).then(() => { this.sent++ }, (err: any) => {
      this.lost++
      log('message to %s lost: %s', to, err?.message)
    }).finally(() => { this.inFlight.delete(p) })
    this.inFlight.add(p)
  }

  private async deliver (to: string, bytes: Uint8Array): Promise<void> {
    const opening = this.outboundTo(to)
    const out = await opening
    const write = out.queue.then(async () => { await writeWithin(out.lp, bytes, clusterLimits.swimSendTimeoutMs) })
    out.queue = write.catch(() => {})
    try {
      await write
    } catch (err) {
      this.drop(to, opening)
      throw err
    }
  }

  private outboundTo (to: string): Promise<Outbound> {
    let opening = this.outbound.get(to)
    if (opening !== undefined) {
      // Most recently used last.
      this.outbound.delete(to)
      this.outbound.set(to, opening)
      return opening
    }
    opening = this.open(to)
    this.outbound.set(to, opening)
    const mine = opening
    opening.then(out => {
      out.stream.addEventListener('close', () => { if (this.outbound.get(to) === mine) this.outbound.delete(to) })
    }, () => { if (this.outbound.get(to) === mine) this.outbound.delete(to) })
    if (this.outbound.size > clusterLimits.maxSwimStreams) {
      const [oldest, stream] = this.outbound.entries().next().value!
      this.drop(oldest, stream)
    }
    return opening
  }

  private async open (to: string): Promise<Outbound> {
    const signal = AbortSignal.timeout(clusterLimits.swimSendTimeoutMs)
    const conn = await this.connection(to, signal)
    const stream = await conn.newStream(this.protocol, { signal })
    this.opened++
    return { stream, lp: lpStream(stream, { maxDataLength: clusterLimits.maxSwimMessageBytes }), queue: Promise.resolve() }
  }

  private drop (peer: string, opening: Promise<Outbound>): void {
    if (this.outbound.get(peer) === opening) this.outbound.delete(peer)
    opening.then(out => { out.stream.abort(new Error('SWIM stream dropped')) }, () => {})
  }

  private async connection (to: string, signal: AbortSignal): Promise<Connection> {
    const id = peerIdFromString(to)
    const open = this.components.connectionManager.getConnections(id).find(c => c.status === 'open')
    if (open !== undefined) return open
    const addrs = (this.addrsOf(to) ?? []).flatMap(a => tryAddr(a, to))
    if (addrs.length === 0) throw new Error('no connection and no address to dial')
    return await this.components.connectionManager.dial(addrs, { signal })
  }

  /** Reads messages from a peer's stream until it ends. */
  private async receive (stream: Stream, conn: Connection): Promise<void> {
    const from = conn.remotePeer.toString()
    this.inbound.add(stream)
    const lp = lpStream(stream, { maxDataLength: clusterLimits.maxSwimMessageBytes })
    try {
      while (this.running) {
        const bytes = (await lp.read()).subarray()
        if (!this.running) break
        this.touch(from)
        this.onMessage(from, bytes)
      }
    } catch (err: any) {
      // The peer closing its stream between two messages is the normal end; anything else is a broken frame.
      const atBoundary = err?.name === 'UnexpectedEOFError' && /reading 0\//.test(String(err?.message))
      if (!atBoundary) {
        log('stream from %s ended: %s', from, err?.message)
        if (this.running) this.onUnreadable()
      }
      try { stream.abort(err instanceof Error ? err : new Error(String(err))) } catch { /* already gone */ }
    } finally {
      this.inbound.delete(stream)
    }
  }
}

/** A member's listen address with its peer ID, or nothing when it does not parse. */
function tryAddr (a: string, peer: string): Multiaddr[] {
  try {
    const ma = multiaddr(a)
    return [ma.getComponents().some(c => c.name === 'p2p') ? ma : ma.encapsulate(`/p2p/${peer}`)]
  } catch { return [] }
}

/**
 * Writes one message, aborted if not written within `ms`. A plain timer and controller, not AbortSignal.timeout:
 * Node ties each of those to a FinalizationRegistry, whose clean-up wakes the event loop from another thread,
 * several times a second on a node that only probes.
 */
async function writeWithin (lp: LengthPrefixedStream<Stream>, bytes: Uint8Array, ms: number): Promise<void> {
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort(new Error(`SWIM message not written within ${ms} ms`)) }, ms)
  try {
    await lp.write(bytes, { signal: controller.signal })
  } finally {
    clearTimeout(timer)
  }
}
