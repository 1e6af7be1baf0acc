// What every transport shares: the state of one stream, the batched writer, and the decoding
// of received bytes into whole messages. A subclass says how bytes leave and how it breaks.
import { FrameDecoder, type FrameLimits, ownSegment } from './framing.js'
import type { MessageTransport, TransportHandler } from './transport.js'
import { BatchWriter, type FrameFill, type QueuedFill } from './batch-writer.js'
import { Timeout } from '../errors.js'

export abstract class FramedTransport implements MessageTransport {
  protected done = false
  protected handler?: TransportHandler
  private decoder?: FrameDecoder
  private frameTimeoutMs?: number
  /** Runs while a frame is incomplete: fails the transport when the frame has not completed in time. */
  private frameTimer?: ReturnType<typeof setTimeout>
  protected readonly writer = new BatchWriter((chunk) => { this.write(chunk) }, (writes) => { this.batch(writes) })

  start (handler: TransportHandler, limits: FrameLimits): void {
    this.handler = handler
    this.decoder = new FrameDecoder(limits)
    this.frameTimeoutMs = limits.frameTimeoutMs
    this.started()
  }

  send (frame: Uint8Array, lazy?: boolean): void {
    if (this.done) return
    this.writer.push(frame, lazy)
  }

  sendWith (bytes: number, fill: FrameFill, lazy?: boolean): void {
    if (this.done) return
    this.writer.pushWith(bytes, fill, lazy)
  }

  sendFrame (frame: QueuedFill, lazy?: boolean): void {
    if (this.done) return
    this.writer.pushFrame(frame, lazy)
  }

  sendOwned (bytes: Uint8Array): void {
    if (this.done) return
    this.writer.pushOwned(bytes)
  }

  abstract close (err?: Error): void

  /** Runs the several writes of one flush (a subclass may cork its stream around them). */
  protected batch (writes: () => void): void { writes() }

  /** Writes one batched chunk to the stream. */
  protected abstract write (chunk: Uint8Array): void
  /** Runs once start() has set the handler: hook up events, deliver what arrived early. */
  protected abstract started (): void
  /** The stream broke or sent bad framing: end it with `err`. */
  protected abstract fail (err: Error): void

  /** Decodes received bytes (after start) and hands each whole message to the handler. */
  protected decode (chunk: Uint8Array): void {
    if (this.done) return
    let messages
    try {
      messages = this.decoder!.pushViews(chunk)
    } catch (err) {
      this.fail(err as Error)
      return
    }
    this.watchFrame(messages.length > 0)
    const handler = this.handler!
    for (const m of messages) {
      if (this.done) return
      if (!(m instanceof DataView)) handler.message(m)
      else if (handler.segment !== undefined) handler.segment(m)
      else handler.message([ownSegment(m)])
    }
  }

  /** (Re)starts the frame deadline when a frame is pending and none was, or a message just completed; stops it when nothing is pending. */
  private watchFrame (completed: boolean): void {
    const ms = this.frameTimeoutMs
    if (ms === undefined) return
    const pending = this.decoder!.pending > 0
    if (this.frameTimer !== undefined && (completed || !pending)) { clearTimeout(this.frameTimer); this.frameTimer = undefined }
    if (pending && this.frameTimer === undefined) {
      this.frameTimer = setTimeout(() => { this.fail(new Timeout(`a message frame did not complete within ${ms} ms`)) }, ms)
      this.frameTimer.unref?.()
    }
  }

  protected finish (err?: Error): void {
    if (this.done) return
    this.done = true
    if (this.frameTimer !== undefined) clearTimeout(this.frameTimer)
    this.decoder?.dispose()
    this.handler?.closed(err)
  }
}
