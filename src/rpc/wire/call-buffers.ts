// Buffers for calls, reused. A call is read by one party: the peer it is written to, or the local
// server that handles it. Once its transport has copied it into the outgoing chunk (outbox.ts), or
// its handler has finished (server.ts), nothing reads it again: its buffer comes back here and
// serves a later call, sent or received, where a new ArrayBuffer costs about 1.3 µs on this machine
// plus its GC. So a handler must not keep views of its params' bytes (copy what it keeps, as
// channels do), as with Cap'n Proto's C++ RPC, where params live until the call returns.
import type * as capnp from 'capnp-es'
import { REMAKE_WORKS, copyBytes, receivedOver, remake, singleSegmentMessage } from './message.js'

/**
 * Bytes of a call buffer: the envelope and small params (bigger params grow out of it). 2 KiB holds
 * a 1 KiB channel message, which then needs no ArrayBuffer of its own on either side (1024-byte
 * sends over a unix socket: 6.1-6.7 µs of CPU a message with 512-byte buffers, 4.4-4.5 with these).
 */
export const CALL_BUFFER_BYTES = 2048
/** Spare call buffers kept at most (CALL_BUFFER_BYTES each). */
export const MAX_SPARE_CALL_BUFFERS = 256

/**
 * A call buffer: a DataView and a Uint8Array of all of it, made once (a typed array costs about
 * 0.1 µs), and the message objects over it, made once too and reset for each call (remake): one
 * that was built here, one that was received. Nothing reads a call once it is consumed, as for
 * its bytes.
 */
export class CallBuffer {
  readonly dv: DataView
  readonly u8: Uint8Array
  private built?: capnp.Message = undefined
  private received?: capnp.Message = undefined
  constructor (buffer = new ArrayBuffer(CALL_BUFFER_BYTES)) {
    this.dv = new DataView(buffer)
    this.u8 = new Uint8Array(buffer)
  }

  get buffer (): ArrayBuffer { return this.dv.buffer as ArrayBuffer }

  /** A new message to build a call in, over all of this buffer (marked to come back once consumed). */
  builtMessage (): capnp.Message {
    let msg = this.built
    if (msg !== undefined) remake(msg, this.dv, CALL_BUFFER_BYTES)
    else {
      msg = singleSegmentMessage(this.buffer, this.dv)
      if (REMAKE_WORKS) this.built = msg
    }
    reusableOnceConsumed(msg, this)
    return msg
  }

  /** Drops `msg` if it is one of this buffer's messages (it moved to a buffer of its own). */
  forget (msg: capnp.Message): void {
    if (this.built === msg) this.built = undefined
    if (this.received === msg) this.received = undefined
  }

  /** The received call copied to the start of this buffer (`byteLength` bytes), as a message; undefined if capnp-es cannot be given one so. */
  receivedMessage (byteLength: number, traversalLimit: number): capnp.Message | undefined {
    let msg = this.received
    if (msg !== undefined) remake(msg, this.dv, byteLength, traversalLimit)
    else {
      msg = receivedOver(this.dv, byteLength, traversalLimit)
      if (msg === undefined) return undefined
      if (REMAKE_WORKS) this.received = msg
    }
    reusableOnceConsumed(msg, this)
    return msg
  }
}

/** Spare buffers (a segment made over one takes its view too). */
const spare: CallBuffer[] = []
const REUSABLE = Symbol('ww.callBuffer')
type Marked = { [REUSABLE]?: CallBuffer }

/** A zeroed buffer for a new call message. */
export function takeCallBuffer (): CallBuffer {
  return spare.pop() ?? new CallBuffer()
}

/** Marks `buf` (from takeCallBuffer) as the buffer of `msg`, a call, to give back once it is consumed. */
export function reusableOnceConsumed (msg: capnp.Message, buf: CallBuffer): void {
  (msg as Marked)[REUSABLE] = buf
}

/** Whether `buffer` is the call buffer of `msg`, to be reused once the call is consumed (else it is the message's own, never written again once sent or received). */
export function inCallBuffer (msg: capnp.Message, buffer: ArrayBuffer): boolean {
  return (msg as Marked)[REUSABLE]?.dv.buffer === buffer
}

/** All of `msg`'s call buffer as bytes (made once), when `buffer` is that call buffer; else undefined. */
export function callBufferBytes (msg: capnp.Message, buffer: ArrayBuffer): Uint8Array | undefined {
  const buf = (msg as Marked)[REUSABLE]
  return buf !== undefined && buf.dv.buffer === buffer ? buf.u8 : undefined
}

/**
 * A received one-segment call (a view of it, valid only now) in a call buffer, or undefined when
 * it does not fit one (the caller then copies it into a buffer of its own).
 */
export function receivedCall (view: DataView, traversalLimit: number): capnp.Message | undefined {
  if (view.byteLength > CALL_BUFFER_BYTES) return undefined
  const buf = takeCallBuffer()
  copyBytes(buf.dv, 0, view, 0, view.byteLength)
  const msg = buf.receivedMessage(view.byteLength, traversalLimit)
  if (msg === undefined) { buf.u8.fill(0, 0, view.byteLength); spare.push(buf) }
  return msg
}

/**
 * Nothing reads `msg` after this (it was written to a transport, or its handler finished): if it
 * is a call in a call buffer, the buffer is zeroed and kept for a later call.
 */
export function consumed (msg: capnp.Message): void {
  const buf = (msg as Marked)[REUSABLE]
  if (buf === undefined) return
  ;(msg as Marked)[REUSABLE] = undefined
  if (spare.length >= MAX_SPARE_CALL_BUFFERS) return
  // Only what the message used was written (a segment that grew moved to another buffer).
  const seg = msg._capnp.segments[0]
  const grew = seg?.buffer !== buf.dv.buffer
  buf.u8.fill(0, 0, grew ? CALL_BUFFER_BYTES : seg.byteLength)
  // A message kept for reuse must not keep the larger buffer it grew into (a large send's) alive.
  if (grew) buf.forget(msg)
  spare.push(buf)
}
