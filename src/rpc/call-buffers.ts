// Buffers for the calls this side makes. A call that goes to a peer is copied into the outgoing
// chunk when its transport writes it (outbox.ts), and nothing reads it after that: its buffer comes
// back here and serves a later call, where making a new ArrayBuffer costs about 1.3 µs on this
// machine, plus its GC. A call that stays in this process is never given back: the local server
// reads it, and may keep views of its bytes (a channel keeps a sent message's data so).
import type * as capnp from 'capnp-es'

/** Bytes of a call buffer: the envelope and small params (bigger params grow out of it). */
export const CALL_BUFFER_BYTES = 512
/** Spare call buffers kept at most (CALL_BUFFER_BYTES each). */
export const MAX_SPARE_CALL_BUFFERS = 256

const spare: ArrayBuffer[] = []
const REUSABLE = Symbol('ww.callBuffer')
type Marked = { [REUSABLE]?: ArrayBuffer }

/** A zeroed buffer for a new call message. */
export function takeCallBuffer (): ArrayBuffer {
  return spare.pop() ?? new ArrayBuffer(CALL_BUFFER_BYTES)
}

/** Marks `buf` (from takeCallBuffer) as the buffer of `msg`, a call, to give back once the call is written. */
export function reusableOnceWritten (msg: capnp.Message, buf: ArrayBuffer): void {
  (msg as Marked)[REUSABLE] = buf
}

/**
 * Called once a message is written to a transport: if it is a call marked above, its buffer is
 * zeroed and kept for a later call. The message must not be read after this.
 */
export function written (msg: capnp.Message): void {
  const buf = (msg as Marked)[REUSABLE]
  if (buf === undefined) return
  ;(msg as Marked)[REUSABLE] = undefined
  if (spare.length >= MAX_SPARE_CALL_BUFFERS) return
  new Uint8Array(buf).fill(0)
  spare.push(buf)
}
