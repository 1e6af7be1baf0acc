// Buffers for calls, reused. A call is read by one party: the peer it is written to, or the local
// server that handles it. Once its transport has copied it into the outgoing chunk (outbox.ts), or
// its handler has finished (server.ts), nothing reads it again: its buffer comes back here and
// serves a later call, sent or received, where a new ArrayBuffer costs about 1.3 µs on this machine
// plus its GC. So a handler must not keep views of its params' bytes (copy what it keeps, as
// channels do), as with Cap'n Proto's C++ RPC, where params live until the call returns.
import type * as capnp from 'capnp-es'
import { receivedInto } from './message.js'

/** Bytes of a call buffer: the envelope and small params (bigger params grow out of it). */
export const CALL_BUFFER_BYTES = 512
/** Spare call buffers kept at most (CALL_BUFFER_BYTES each). */
export const MAX_SPARE_CALL_BUFFERS = 256

/** Spare buffers, each as a DataView of all of it (its segment's next message takes the view too). */
const spare: DataView[] = []
const REUSABLE = Symbol('ww.callBuffer')
type Marked = { [REUSABLE]?: DataView }

/** A zeroed buffer for a new call message, as a DataView of all of it. */
export function takeCallBuffer (): DataView {
  return spare.pop() ?? new DataView(new ArrayBuffer(CALL_BUFFER_BYTES))
}

/** Marks `buf` (from takeCallBuffer) as the buffer of `msg`, a call, to give back once it is consumed. */
export function reusableOnceConsumed (msg: capnp.Message, buf: DataView): void {
  (msg as Marked)[REUSABLE] = buf
}

/** Whether `buffer` is the call buffer of `msg`, to be reused once the call is consumed (else it is the message's own, never written again once sent or received). */
export function inCallBuffer (msg: capnp.Message, buffer: ArrayBuffer): boolean {
  return (msg as Marked)[REUSABLE]?.buffer === buffer
}

/**
 * A received one-segment call (a view of it, valid only now) in a call buffer, or undefined when
 * it does not fit one (the caller then copies it into a buffer of its own).
 */
export function receivedCall (view: DataView, traversalLimit: number): capnp.Message | undefined {
  if (view.byteLength > CALL_BUFFER_BYTES) return undefined
  const buf = takeCallBuffer()
  const msg = receivedInto(buf, view, traversalLimit)
  if (msg !== undefined) reusableOnceConsumed(msg, buf)
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
  new Uint8Array(buf.buffer, 0, seg?.buffer === buf.buffer ? seg.byteLength : CALL_BUFFER_BYTES).fill(0)
  spare.push(buf)
}
