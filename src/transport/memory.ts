// Two transports wired to each other in memory. Bytes go through the real framing decoder,
// delivered asynchronously like a network would.
import { FrameDecoder, type FrameLimits } from './framing.js'
import type { MessageTransport, TransportHandler } from './transport.js'
import { BatchWriter, type FrameFill } from './batch-writer.js'
import { Disconnected } from '../errors.js'

class MemoryEnd implements MessageTransport {
  peer!: MemoryEnd
  private handler?: TransportHandler
  private decoder?: FrameDecoder
  private inbox: Uint8Array[] = []
  private done = false
  private peerClosed?: Error | null
  private readonly writer = new BatchWriter((chunk) => { this.peer.receive(chunk) })

  start (handler: TransportHandler, limits: FrameLimits): void {
    this.handler = handler
    this.decoder = new FrameDecoder(limits)
    const inbox = this.inbox
    this.inbox = []
    for (const c of inbox) this.deliver(c)
    if (this.peerClosed !== undefined) this.finish(this.peerClosed ?? undefined)
  }

  send (frame: Uint8Array, lazy?: boolean): void {
    if (this.done) return
    this.writer.push(frame, lazy)
  }

  sendWith (bytes: number, fill: FrameFill, lazy?: boolean): void {
    if (this.done) return
    this.writer.pushWith(bytes, fill, lazy)
  }

  close (err?: Error): void {
    if (this.done) return
    this.writer.flush()
    queueMicrotask(() => { this.peer.remoteClosed() })
    this.finish(err)
  }

  /** Bytes arriving from the peer. */
  receive (chunk: Uint8Array): void {
    if (this.done) return
    queueMicrotask(() => {
      if (this.handler === undefined) this.inbox.push(chunk)
      else this.deliver(chunk)
    })
  }

  private remoteClosed (): void {
    if (this.handler === undefined) { this.peerClosed = null; return }
    queueMicrotask(() => { this.finish(new Disconnected('peer closed the connection')) })
  }

  private deliver (chunk: Uint8Array): void {
    if (this.done) return
    let messages
    try {
      messages = this.decoder!.push(chunk)
    } catch (err) {
      this.finish(err as Error)
      this.peer.remoteClosed()
      return
    }
    for (const m of messages) {
      if (this.done) return
      this.handler!.message(m)
    }
  }

  private finish (err?: Error): void {
    if (this.done) return
    this.done = true
    this.handler?.closed(err)
  }
}

/** A connected pair of in-memory transports. */
export function memoryPair (): [MessageTransport, MessageTransport] {
  const a = new MemoryEnd()
  const b = new MemoryEnd()
  a.peer = b
  b.peer = a
  return [a, b]
}
