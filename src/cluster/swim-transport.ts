// SWIM messages over libp2p: protocol /ww/<ns>/swim/1.0.0, length-prefixed messages on one long-lived stream per
// peer and direction, so a probe costs a data frame, not a stream's set-up and protocol negotiation. A message to a
// member goes over the connection already open to it, or a new one dialed at the addresses its record lists (none
// listed: it is not sent, and the probe fails). The stream's remote peer, authenticated by noise, is the sender.
// Sending is best effort, like the datagrams SWIM was made for: a message is handed to its stream at once, without a
// promise or a timer of its own (an idle host sends a ping and an ack a second); a stream that has not drained for
// swimSendTimeoutMs is dropped at the next message, which is lost with what the stream still held.
import type { Stream, Connection } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { SwimTransportComponents } from './components.js'
import { clusterLimits } from './limits.js'
import { FrameReader, lengthPrefixed } from './swim-frames.js'
import { timeoutSignal } from './timeout-signal.js'

const log = logger('ww:cluster:swim')

interface Outbound { stream: Stream, stuckSince: number | undefined }

export class SwimTransport {
  private running = false
  /** Messages waiting for their stream to open. */
  private readonly inFlight = new Set<Promise<void>>()
  /** The stream to each peer, open or opening, least recently used first. */
  private readonly outbound = new Map<string, Outbound | Promise<Outbound>>()
  private readonly inbound = new Set<Stream>()
  /** Told of every message received: the sender's peer ID and the bytes. */
  onMessage: (from: string, bytes: Uint8Array) => void = () => {}
  /** Told of a stream that broke off in a frame (oversized, cut short). */
  onUnreadable: () => void = () => {}
  /** When a message last went to or came from each peer (Date.now()); bounded like the streams. */
  private readonly active = new Map<string, number>()
  /** Messages handed to a stream, and lost (no stream, or one stuck); streams opened. */
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
    await this.components.registrar.handle(this.protocol, (stream, conn) => { this.receive(stream, conn) }, { maxInboundStreams: 4 })
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

  /** Waits (at most timeoutMs) for the messages being sent: streams opening, and those still to drain. */
  async flush (timeoutMs: number): Promise<void> {
    const timeout = timeoutSignal(timeoutMs, 'flushing SWIM messages')
    const { signal } = timeout
    const draining = [...this.outbound.values()].flatMap(o => o instanceof Promise || !o.stream.writableNeedsDrain ? [] : [o.stream.onDrain({ signal })])
    await Promise.race([
      Promise.allSettled([...this.inFlight, ...draining]),
      new Promise(resolve => { signal.addEventListener('abort', resolve, { once: true }) })
    ])
    timeout.clear()
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
    const frame = lengthPrefixed(bytes)
    const out = this.outboundTo(to)
    if (!(out instanceof Promise)) {
      this.write(to, out, frame)
      return
    }
    const p = out.then(o => { this.write(to, o, frame) }, (err: any) => {
      this.lost++
      log('message to %s lost: %s', to, err?.message)
    }).finally(() => { this.inFlight.delete(p) })
    this.inFlight.add(p)
  }

  private write (to: string, out: Outbound, frame: Uint8Array): void {
    const { stream } = out
    const stuck = out.stuckSince !== undefined && stream.writableNeedsDrain && Date.now() - out.stuckSince >= clusterLimits.swimSendTimeoutMs
    if (stuck || stream.status !== 'open' || stream.writeStatus !== 'writable') {
      this.lost++
      log('message to %s lost: %s', to, stuck ? `its stream did not drain within ${clusterLimits.swimSendTimeoutMs} ms` : 'its stream closed')
      this.drop(to, out)
      return
    }
    try {
      if (!stream.send(frame)) out.stuckSince ??= Date.now()
      this.sent++
    } catch (err: any) {
      this.lost++
      log('message to %s lost: %s', to, err?.message)
      this.drop(to, out)
    }
  }

  private outboundTo (to: string): Outbound | Promise<Outbound> {
    let out = this.outbound.get(to)
    if (out !== undefined) {
      // Most recently used last.
      this.outbound.delete(to)
      this.outbound.set(to, out)
      return out
    }
    const opening = this.open(to)
    this.outbound.set(to, opening)
    out = opening
    opening.then(o => {
      if (this.outbound.get(to) === opening) this.outbound.set(to, o)
      o.stream.addEventListener('close', () => { if (this.outbound.get(to) === o) this.outbound.delete(to) })
      o.stream.addEventListener('drain', () => { o.stuckSince = undefined })
    }, () => { if (this.outbound.get(to) === opening) this.outbound.delete(to) })
    if (this.outbound.size > clusterLimits.maxSwimStreams) {
      const [oldest, stream] = this.outbound.entries().next().value!
      this.drop(oldest, stream)
    }
    return out
  }

  private async open (to: string): Promise<Outbound> {
    const signal = AbortSignal.timeout(clusterLimits.swimSendTimeoutMs)
    const conn = await this.connection(to, signal)
    const stream = await conn.newStream(this.protocol, { signal })
    this.opened++
    return { stream, stuckSince: undefined }
  }

  private drop (peer: string, out: Outbound | Promise<Outbound>): void {
    if (this.outbound.get(peer) === out) this.outbound.delete(peer)
    // An opening stream's entry is not replaced by its stream once gone from the map (outboundTo).
    Promise.resolve(out).then(o => { o.stream.abort(new Error('SWIM stream dropped')) }, () => {})
  }

  private async connection (to: string, signal: AbortSignal): Promise<Connection> {
    const id = peerIdFromString(to)
    const open = this.components.connectionManager.getConnections(id).find(c => c.status === 'open')
    if (open !== undefined) return open
    const addrs = (this.addrsOf(to) ?? []).flatMap(a => tryAddr(a, to))
    if (addrs.length === 0) throw new Error('no connection and no address to dial')
    return await this.components.connectionManager.dial(addrs, { signal })
  }

  /** Reads messages from a peer's stream as they arrive, until it ends. */
  private receive (stream: Stream, conn: Connection): void {
    const from = conn.remotePeer.toString()
    this.inbound.add(stream)
    const reader = new FrameReader(clusterLimits.maxSwimMessageBytes)
    const onFrame = (bytes: Uint8Array): void => {
      if (!this.running) return
      this.touch(from)
      this.onMessage(from, bytes)
    }
    stream.addEventListener('message', (evt) => {
      try {
        reader.push(evt.data, onFrame)
      } catch (err: any) {
        log('stream from %s ended: %s', from, err?.message)
        if (this.running) this.onUnreadable()
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    })
    // The peer closing its stream between two messages is the normal end; within one, the frame was cut short.
    stream.addEventListener('remoteCloseWrite', () => {
      if (reader.partial > 0) {
        log('stream from %s ended within a frame', from)
        if (this.running) this.onUnreadable()
      }
      stream.abort(new Error('SWIM stream ended'))
    })
    stream.addEventListener('close', () => { this.inbound.delete(stream) })
  }
}

/** A member's listen address with its peer ID, or nothing when it does not parse. */
function tryAddr (a: string, peer: string): Multiaddr[] {
  try {
    const ma = multiaddr(a)
    return [ma.getComponents().some(c => c.name === 'p2p') ? ma : ma.encapsulate(`/p2p/${peer}`)]
  } catch { return [] }
}
