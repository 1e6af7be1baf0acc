// Transport over a libp2p v3 Stream (event based: `message`, `drain`, `close`; send() returns false
// when the caller should wait for `drain`).
import type { Stream } from '@libp2p/interface'
import { FrameDecoder, type FrameLimits } from './framing.js'
import type { MessageTransport, TransportHandler } from './transport.js'
import { BatchWriter, type FrameFill } from './batch-writer.js'
import { Disconnected } from '../errors.js'

interface ChunkList { subarray: () => Uint8Array }

class Libp2pTransport implements MessageTransport {
  private done = false
  private handler?: TransportHandler
  private readonly writer: BatchWriter
  private backlog: Uint8Array[] = []
  private draining = false

  constructor (private readonly stream: Stream) {
    this.writer = new BatchWriter((chunk) => { this.write(chunk) })
  }

  start (handler: TransportHandler, limits: FrameLimits): void {
    this.handler = handler
    const decoder = new FrameDecoder(limits)
    this.stream.addEventListener('message', (evt) => {
      if (this.done) return
      const data = evt.data as Uint8Array | ChunkList
      const chunk = data instanceof Uint8Array ? data : data.subarray()
      let messages
      try {
        messages = decoder.push(chunk)
      } catch (err) {
        this.fail(err as Error)
        return
      }
      for (const m of messages) {
        if (this.done) return
        handler.message(m)
      }
    })
    this.stream.addEventListener('close', () => { this.fail(new Disconnected('stream closed')) })
    this.stream.addEventListener('remoteCloseWrite', () => { this.fail(new Disconnected('peer closed the stream')) })
    this.stream.addEventListener('drain', () => { this.drain() })
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
    this.finish(err)
    this.stream.close().catch(() => { this.stream.abort(new Disconnected('close failed')) })
  }

  private write (chunk: Uint8Array): void {
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

  private fail (err: Error): void {
    if (this.done) return
    this.finish(err)
    this.stream.abort(err)
  }

  private finish (err?: Error): void {
    this.done = true
    this.handler?.closed(err)
  }
}

/** A transport over one libp2p stream (one stream = one RPC connection). */
export function libp2pTransport (stream: Stream): MessageTransport {
  return new Libp2pTransport(stream)
}
