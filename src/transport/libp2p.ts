// Transport over a libp2p v3 Stream (event based: `message`, `drain`, `close`; send() returns false
// when the caller should wait for `drain`).
import type { Stream } from '@libp2p/interface'
import type { MessageTransport } from './transport.js'
import { FramedTransport } from './framed-transport.js'
import { Disconnected } from '../errors.js'

interface ChunkList { subarray: () => Uint8Array }

class Libp2pTransport extends FramedTransport {
  private backlog: Uint8Array[] = []
  private draining = false

  constructor (private readonly stream: Stream) {
    super()
  }

  protected started (): void {
    this.stream.addEventListener('message', (evt) => {
      const data = evt.data as Uint8Array | ChunkList
      this.decode(data instanceof Uint8Array ? data : data.subarray())
    })
    this.stream.addEventListener('close', () => { this.fail(new Disconnected('stream closed')) })
    this.stream.addEventListener('remoteCloseWrite', () => { this.fail(new Disconnected('peer closed the stream')) })
    this.stream.addEventListener('drain', () => { this.drain() })
  }

  close (err?: Error): void {
    if (this.done) return
    this.writer.flush()
    this.finish(err)
    this.stream.close().catch(() => { this.stream.abort(new Disconnected('close failed')) })
  }

  /**
   * Copied into the flush's chunk like any frame: the stream frames and encrypts what it is given
   * chunk by chunk, and one large chunk per flush measured cheaper than a segment each (bench-chan).
   */
  sendOwned (bytes: Uint8Array): void {
    this.send(bytes)
  }

  protected write (chunk: Uint8Array): void {
    if (this.done) return
    if (this.draining) { this.backlog.push(chunk); return }
    if (!this.stream.send(chunk)) this.draining = true
  }

  private drain (): void {
    this.draining = false
    const backlog = this.backlog
    this.backlog = []
    for (const c of backlog) this.write(c)
  }

  protected fail (err: Error): void {
    if (this.done) return
    this.finish(err)
    this.stream.abort(err)
  }
}

/** A transport over one libp2p stream (one stream = one RPC connection). */
export function libp2pTransport (stream: Stream): MessageTransport {
  return new Libp2pTransport(stream)
}
