// What a connection has sent but not yet handed to its transport, in order. Messages wait here
// until the end of the tick (a process.nextTick queued from a promise job runs once every promise
// job has run): calls, so that a handler's ctx.tailCall can still turn them into
// `sendResultsTo.yourself`, and every other message, so that Returns that settle one or more
// promise hops apart (handlers, chained answers) leave in one write. Small frames (Finish,
// Release, an empty Return) go straight to the transport when nothing waits.
//
// Each queued thing is one object of a class below that the transport's writer calls back to fill
// the outgoing chunk (QueuedFill): a small call costs no closure, record or segment list on its way out.
import type * as capnp from 'capnp-es'
import type { QueuedFill } from '../transport/batch-writer.js'
import { encodeFrame, frameBytes, writeFrame } from '../transport/framing.js'
import type { MessageTransport } from '../transport/transport.js'
import { SMALL_FRAME_BYTES, writeFinish, writeRelease } from './wire/envelope.js'
import { EMPTY_RETURN_FRAME_BYTES, writeEmptyReturn } from './wire/empty-results.js'
import { consumed } from './wire/call-buffers.js'
import { copyBytes, viewOf } from './wire/message.js'

/**
 * A one-segment message at least this large goes to the transport as its 8-byte header and then
 * its segment's bytes as they are (no copy into the outgoing chunk): smaller ones are cheaper to copy
 * than to write as a chunk of their own.
 */
export const OWNED_SEGMENT_BYTES = 16 << 10

/** Whoever may still change a message while it waits (a question: a tail call can redirect it). */
export interface Waiting { pending?: capnp.Message }

/** A small frame written at flush: `lazy` ones may wait to ride along with the next message. */
export abstract class SmallFrame implements QueuedFill {
  constructor (readonly bytes: number, readonly lazy: boolean) {}
  abstract fill (dst: Uint8Array, dv: DataView, at: number): void
}

/** A Finish for question `id` (releaseResultCaps false). */
export class FinishFrame extends SmallFrame {
  constructor (readonly id: number, lazy: boolean) { super(SMALL_FRAME_BYTES, lazy) }
  fill (_dst: Uint8Array, dv: DataView, at: number): void { writeFinish(dv, at, this.id, false) }
}

/** A Release of `count` references to import `id`. */
export class ReleaseFrame extends SmallFrame {
  constructor (readonly id: number, readonly count: number) { super(SMALL_FRAME_BYTES, true) }
  fill (_dst: Uint8Array, dv: DataView, at: number): void { writeRelease(dv, at, this.id, this.count) }
}

/** The Return of empty results to question `id` (wire/empty-results.ts). */
export class EmptyReturnFrame extends SmallFrame {
  constructor (readonly id: number, readonly noFinishNeeded: boolean) { super(EMPTY_RETURN_FRAME_BYTES, false) }
  fill (dst: Uint8Array, dv: DataView, at: number): void { writeEmptyReturn(dst, dv, at, this.id, this.noFinishNeeded) }
}

/** A frame encoded already (a message that may change after it was sent). */
class EncodedFrame {
  constructor (readonly frame: Uint8Array, readonly lazy: boolean) {}
}

/**
 * A message waiting for the flush. `once`: nothing touches it again, so a one-segment one is
 * written straight into the outgoing chunk by `fill` (its size is taken at the flush).
 */
class QueuedMessage implements QueuedFill {
  bytes = 0
  constructor (readonly msg: capnp.Message, readonly waiting: Waiting | undefined, readonly once: boolean) {}

  fill (_dst: Uint8Array, dv: DataView, at: number): void {
    const length = this.bytes - 8
    dv.setUint32(at, 0, true)
    dv.setUint32(at + 4, length / 8, true)
    copyBytes(dv, at + 8, viewOf(this.msg._capnp.segments[0]), 0, length)
    consumed(this.msg)
  }
}

type Item = QueuedMessage | EncodedFrame | SmallFrame

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
      this.queue(new QueuedMessage(msg, waiting, once))
    } else {
      this.queue(once ? new QueuedMessage(msg, undefined, once) : new EncodedFrame(encodeMessage(msg), false))
    }
  }

  /** Queues a message that may wait to ride along with the next one. */
  lazyMessage (msg: capnp.Message): void {
    this.queue(new EncodedFrame(encodeMessage(msg), true))
  }

  /** A small frame (Finish, Release, empty Return). */
  frame (f: SmallFrame): void {
    if (this.items.length > 0) this.queue(f)
    else this.sendSmall(f)
  }

  /** Hands everything queued to the transport, in order. */
  flush (): void {
    this.scheduled = false
    const items = this.items
    if (items.length === 0) return
    this.items = []
    for (let i = 0; i < items.length; i++) {
      const it = items[i]
      if (it instanceof QueuedMessage) {
        if (it.waiting !== undefined) it.waiting.pending = undefined
        this.write(it)
      } else if (it instanceof SmallFrame) {
        this.sendSmall(it)
      } else {
        this.transport.send(it.frame, it.lazy)
      }
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

  private write (it: QueuedMessage): void {
    const msg = it.msg
    const t = this.transport
    const segs = msg._capnp.segments
    if (it.once && segs.length === 1 && t.sendWith !== undefined) {
      const length = (segs[0].byteLength + 7) & ~7
      if (length >= OWNED_SEGMENT_BYTES && t.sendOwned !== undefined) {
        // Its buffer is the message's own (a call buffer holds 512 bytes) and nothing writes it again.
        const words = length / 8
        t.sendWith(8, (_dst, dv, at) => { dv.setUint32(at, 0, true); dv.setUint32(at + 4, words, true) })
        t.sendOwned(new Uint8Array(segs[0].buffer, 0, length))
        consumed(msg)
        return
      }
      it.bytes = 8 + length
      if (t.sendFrame !== undefined) t.sendFrame(it)
      else t.sendWith(it.bytes, (dst, dv, at) => { it.fill(dst, dv, at) })
      return
    }
    const { buffers, lengths } = segmentsOf(msg)
    if (it.once && t.sendWith !== undefined) {
      t.sendWith(frameBytes(lengths), (dst, dv, at) => { writeFrame(buffers, lengths, dst, dv, at); consumed(msg) })
    } else {
      t.send(encodeFrame(buffers, lengths))
      consumed(msg)
    }
  }

  private sendSmall (f: SmallFrame): void {
    const t = this.transport
    if (t.sendFrame !== undefined) { t.sendFrame(f, f.lazy); return }
    if (t.sendWith !== undefined) { t.sendWith(f.bytes, (dst, dv, at) => { f.fill(dst, dv, at) }, f.lazy); return }
    const frame = new Uint8Array(f.bytes)
    f.fill(frame, new DataView(frame.buffer), 0)
    t.send(frame, f.lazy)
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
