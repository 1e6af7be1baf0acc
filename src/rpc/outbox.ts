// What a connection has sent but not yet handed to its transport, in order. Messages wait here
// until the end of the tick (a process.nextTick queued from a promise job runs once every promise
// job has run): calls, so that a handler's ctx.tailCall can still turn them into
// `sendResultsTo.yourself`, and every other message, so that Returns that settle one or more
// promise hops apart (handlers, chained answers) leave in one write. Small frames (Finish,
// Release) go straight to the transport when nothing waits.
import type * as capnp from 'capnp-es'
import type { FrameFill } from '../transport/batch-writer.js'
import { encodeFrame, frameBytes, writeFrame } from '../transport/framing.js'
import type { MessageTransport } from '../transport/transport.js'
import { SMALL_FRAME_BYTES } from './wire/envelope.js'
import { consumed } from './wire/call-buffers.js'

/**
 * A one-segment message at least this large goes to the transport as its 8-byte header and then
 * its segment's bytes as they are (no copy into the outgoing chunk): smaller ones are cheaper to copy
 * than to write as a chunk of their own.
 */
export const OWNED_SEGMENT_BYTES = 16 << 10

/** Whoever may still change a message while it waits (a question: a tail call can redirect it). */
export interface Waiting { pending?: capnp.Message }

type Item = { msg: capnp.Message, waiting?: Waiting, once: boolean } | { frame: Uint8Array, lazy: boolean } | { fill: FrameFill, lazy: boolean, bytes: number }

export class Outbox {
  private items: Item[] = []
  private scheduled = false
  private readonly flushSoon = (): void => { this.flush() }

  constructor (private readonly transport: MessageTransport) {}

  /**
   * Queues a message. `once`: it is never touched again, so it is written straight into the
   * outgoing chunk at flush (else it is encoded now). `waiting.pending` is the message until it leaves.
   */
  message (msg: capnp.Message, once: boolean, waiting?: Waiting): void {
    if (waiting !== undefined) {
      waiting.pending = msg
      this.queue({ msg, waiting, once })
    } else {
      this.queue(once ? { msg, once } : { frame: encodeMessage(msg), lazy: false })
    }
  }

  /** Queues a message that may wait to ride along with the next one. */
  lazyMessage (msg: capnp.Message): void {
    this.queue({ frame: encodeMessage(msg), lazy: true })
  }

  /** A frame of `bytes` written by `fill` (lazy: may wait to ride along with the next message). */
  small (fill: FrameFill, lazy: boolean, bytes = SMALL_FRAME_BYTES): void {
    if (this.items.length > 0) this.queue({ fill, lazy, bytes })
    else this.sendSmall(fill, lazy, bytes)
  }

  /** Hands everything queued to the transport, in order. */
  flush (): void {
    this.scheduled = false
    const items = this.items
    if (items.length === 0) return
    this.items = []
    for (const it of items) {
      if ('frame' in it) { this.transport.send(it.frame, it.lazy); continue }
      if ('fill' in it) { this.sendSmall(it.fill, it.lazy, it.bytes); continue }
      if (it.waiting !== undefined) it.waiting.pending = undefined
      this.write(it.msg, it.once)
    }
  }

  /** Drops whatever waits (the connection is gone). */
  clear (): void {
    this.items = []
  }

  private queue (item: Item): void {
    this.items.push(item)
    if (this.scheduled) return
    this.scheduled = true
    process.nextTick(this.flushSoon)
  }

  private write (msg: capnp.Message, once: boolean): void {
    const { buffers, lengths } = segmentsOf(msg)
    if (once && lengths.length === 1 && lengths[0] >= OWNED_SEGMENT_BYTES && this.transport.sendWith !== undefined && this.transport.sendOwned !== undefined) {
      // Its buffer is the message's own (a call buffer holds 512 bytes) and nothing writes it again.
      const words = lengths[0] / 8
      this.transport.sendWith(8, (_dst, dv, at) => { dv.setUint32(at, 0, true); dv.setUint32(at + 4, words, true) })
      this.transport.sendOwned(new Uint8Array(buffers[0], 0, lengths[0]))
      consumed(msg)
      return
    }
    if (once && this.transport.sendWith !== undefined) {
      this.transport.sendWith(frameBytes(lengths), (dst, dv, at) => { writeFrame(buffers, lengths, dst, dv, at); consumed(msg) })
    } else {
      this.transport.send(encodeFrame(buffers, lengths))
      consumed(msg)
    }
  }

  private sendSmall (fill: FrameFill, lazy: boolean, bytes: number): void {
    if (this.transport.sendWith !== undefined) { this.transport.sendWith(bytes, fill, lazy); return }
    const frame = new Uint8Array(bytes)
    fill(frame, new DataView(frame.buffer), 0)
    this.transport.send(frame, lazy)
  }
}

/** A message's segment buffers and their used lengths, rounded up to whole words. */
function segmentsOf (msg: capnp.Message): { buffers: ArrayBuffer[], lengths: number[] } {
  const segs = msg._capnp.segments
  if (segs.length === 0) msg.getSegment(0)
  const buffers = new Array<ArrayBuffer>(segs.length)
  const lengths = new Array<number>(segs.length)
  for (let i = 0; i < segs.length; i++) { buffers[i] = segs[i].buffer; lengths[i] = (segs[i].byteLength + 7) & ~7 }
  return { buffers, lengths }
}

function encodeMessage (msg: capnp.Message): Uint8Array {
  const { buffers, lengths } = segmentsOf(msg)
  return encodeFrame(buffers, lengths)
}
