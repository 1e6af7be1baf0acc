// SWIM messages over libp2p: protocol /ww/<ns>/swim/1.0.0, one length-prefixed message per stream. A message to a
// member goes over the connection already open to it, or a new one dialed at the addresses its record lists
// (none listed: it is not sent, and the probe fails). The stream's remote peer, authenticated by noise, is the sender.
// Sending is best effort, like the datagrams SWIM was made for: a message that cannot go within swimSendTimeoutMs is lost.
import type { Libp2p, Stream, Connection } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { clusterLimits } from './limits.js'

const log = logger('ww:cluster:swim')

export class SwimTransport {
  private running = false
  private readonly inFlight = new Set<Promise<void>>()
  /** Told of every message received: the sender's peer ID and the bytes. */
  onMessage: (from: string, bytes: Uint8Array) => void = () => {}
  /** Messages sent, and lost (not written within the timeout). */
  sent = 0
  lost = 0
  /** Told of a stream that did not carry one readable frame (oversized, cut short). */
  onUnreadable: () => void = () => {}

  constructor (
    private readonly libp2p: Libp2p,
    readonly protocol: string,
    /** The listen addresses a member's record gives, to dial it when not connected. */
    private readonly addrsOf: (peer: string) => readonly string[] | undefined
  ) {}

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    await this.libp2p.handle(this.protocol, (stream, conn) => { void this.inbound(stream, conn) }, { maxInboundStreams: 64 })
  }

  /** Stops receiving; messages still being sent get `timeoutMs` to go. */
  async stop (timeoutMs: number): Promise<void> {
    if (!this.running) return
    this.running = false
    await this.flush(timeoutMs)
    await this.libp2p.unhandle(this.protocol)
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
      return this.libp2p.getConnections(peerIdFromString(peer)).some(c => c.status === 'open')
    } catch { return false }
  }

  send = (to: string, bytes: Uint8Array): void => {
    const p = this.deliver(to, bytes).then(() => { this.sent++ }, (err: any) => {
      this.lost++
      log('message to %s lost: %s', to, err?.message)
    }).finally(() => { this.inFlight.delete(p) })
    this.inFlight.add(p)
  }

  private async deliver (to: string, bytes: Uint8Array): Promise<void> {
    const signal = AbortSignal.timeout(clusterLimits.swimSendTimeoutMs)
    const conn = await this.connection(to, signal)
    const stream = await conn.newStream(this.protocol, { signal })
    try {
      const lp = lpStream(stream, { maxDataLength: clusterLimits.maxSwimMessageBytes })
      await lp.write(bytes, { signal })
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  private async connection (to: string, signal: AbortSignal): Promise<Connection> {
    const id = peerIdFromString(to)
    const open = this.libp2p.getConnections(id).find(c => c.status === 'open')
    if (open !== undefined) return open
    const addrs = (this.addrsOf(to) ?? []).flatMap(a => tryAddr(a, to))
    if (addrs.length === 0) throw new Error('no connection and no address to dial')
    return await this.libp2p.dial(addrs, { signal })
  }

  private async inbound (stream: Stream, conn: Connection): Promise<void> {
    try {
      const lp = lpStream(stream, { maxDataLength: clusterLimits.maxSwimMessageBytes })
      const signal = AbortSignal.timeout(clusterLimits.swimSendTimeoutMs)
      const bytes = (await lp.read({ signal })).subarray()
      await stream.close({ signal })
      if (this.running) this.onMessage(conn.remotePeer.toString(), bytes)
    } catch (err: any) {
      log('message from %s unread: %s', conn.remotePeer.toString(), err?.message)
      this.onUnreadable()
      try { stream.abort(err instanceof Error ? err : new Error(String(err))) } catch { /* already gone */ }
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
