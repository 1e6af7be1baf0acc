// Two transports wired to each other in memory. Bytes go through the real framing decoder,
// delivered asynchronously like a network would.
import type { MessageTransport } from './transport.js'
import { FramedTransport } from './framed-transport.js'
import { Disconnected } from '../errors.js'

class MemoryEnd extends FramedTransport {
  peer!: MemoryEnd
  private inbox: Uint8Array[] = []
  private peerClosed?: Error | null

  protected started (): void {
    const inbox = this.inbox
    this.inbox = []
    for (const c of inbox) this.decode(c)
    if (this.peerClosed !== undefined) this.finish(this.peerClosed ?? undefined)
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
      else this.decode(chunk)
    })
  }

  protected write (chunk: Uint8Array): void {
    this.peer.receive(chunk)
  }

  protected fail (err: Error): void {
    this.finish(err)
    this.peer.remoteClosed()
  }

  private remoteClosed (): void {
    if (this.handler === undefined) { this.peerClosed = null; return }
    queueMicrotask(() => { this.finish(new Disconnected('peer closed the connection')) })
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
