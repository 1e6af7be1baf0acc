// capnp-es Messages over buffers we already have, made without capnp-es's constructor: for a
// buffer it builds the segment list with Array.from({ length }), which costs more than the rest
// of a small message's setup. The result is the same object capnp-es would build (same
// prototype, arena, segments, traversal limit); a check at load time falls back to the
// constructor if this capnp-es version lays its messages out differently.
import * as capnp from 'capnp-es'

type Segment = ReturnType<capnp.Message['getSegment']>
interface MessageState { arena: object, segments: Segment[], traversalLimit: number }

const probeBuffer = new ArrayBuffer(8)
const probe = new capnp.Message(probeBuffer, false, true)
const probeState = probe._capnp as unknown as MessageState
const SegmentClass = probe.getSegment(0).constructor as new (id: number, message: capnp.Message, buffer: ArrayBuffer, byteLength: number) => Segment
const SingleSegmentArena = probeState.arena.constructor as new (buffer: ArrayBuffer) => object
const defaultTraversalLimit = probeState.traversalLimit

function make (arena: object, buffers: ArrayBuffer[], traversalLimit: number, firstLength = buffers[0].byteLength): capnp.Message {
  const msg = Object.create(capnp.Message.prototype) as capnp.Message
  const segments = new Array<Segment>(buffers.length)
  ;(msg as unknown as { _capnp: MessageState })._capnp = { arena, segments, traversalLimit }
  for (let i = 0; i < buffers.length; i++) segments[i] = new SegmentClass(i, msg, buffers[i], i === 0 ? firstLength : buffers[i].byteLength)
  return msg
}

const works = ((): boolean => {
  try {
    const m = make(new SingleSegmentArena(probeBuffer), [probeBuffer], defaultTraversalLimit)
    const seg = m.getSegment(0)
    return Object.keys(probeState).length === 3 && probeState.segments.length === 1 && seg.buffer === probeBuffer &&
      seg.byteLength === probe.getSegment(0).byteLength && seg.message === m && seg.id === 0
  } catch { return false }
})()

/**
 * A DataView over all of `seg`'s buffer: the one capnp-es keeps in the segment (making one costs
 * about 60 ns here, and a call made several). Bounds are the caller's to check (seg.byteLength).
 */
export function viewOf (seg: Segment): DataView {
  const dv = (seg as unknown as { _dv?: unknown })._dv
  return dv instanceof DataView && dv.buffer === seg.buffer && dv.byteOffset === 0 ? dv : new DataView(seg.buffer)
}

/** A message whose only segment is `buffer` (all of it in use), growable like capnp-es's own. */
export function singleSegmentMessage (buffer: ArrayBuffer): capnp.Message {
  if (!works) return new capnp.Message(buffer, false, true)
  return make(new SingleSegmentArena(buffer), [buffer], defaultTraversalLimit)
}

/** A received message over its segments (read only). */
export function receivedMessage (segments: ArrayBuffer[], traversalLimit: number): capnp.Message {
  let msg: capnp.Message
  if (works) {
    msg = make({ kind: 1, buffers: segments }, segments, traversalLimit)
  } else {
    msg = new capnp.Message({ kind: 1, buffers: segments } as unknown as ArrayBuffer, false)
    msg._capnp.traversalLimit = traversalLimit
  }
  return msg
}

/**
 * A received one-segment message copied to the start of `buffer` (a larger one, zeroed past
 * `view`); undefined when this capnp-es version's messages cannot be made so.
 */
export function receivedInto (buffer: ArrayBuffer, view: DataView, traversalLimit: number): capnp.Message | undefined {
  if (!works) return undefined
  new Uint8Array(buffer).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength))
  return make({ kind: 1, buffers: [buffer] }, [buffer], traversalLimit, view.byteLength)
}

/**
 * Moves segment 0 of a one-segment message into a new zeroed buffer of `bytes` (a multiple of 8
 * is not needed: it is rounded up), keeping its contents; the message then grows like one capnp-es
 * built (a single-segment arena), also when it was received.
 */
export function growSegment (msg: capnp.Message, bytes: number): void {
  const seg = msg.getSegment(0)
  const buffer = new ArrayBuffer((bytes + 7) & ~7)
  new Uint8Array(buffer).set(new Uint8Array(seg.buffer, 0, seg.byteLength))
  seg.replaceBuffer(buffer)
  ;(msg._capnp as unknown as MessageState).arena = new SingleSegmentArena(buffer)
}
