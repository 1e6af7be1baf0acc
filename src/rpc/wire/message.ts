// capnp-es Messages over buffers we already have, made without capnp-es's constructor: for a
// buffer it builds the segment list with Array.from({ length }), which costs more than the rest
// of a small message's setup. The result is the same object capnp-es would build (same
// prototype, arena, segments, traversal limit); a check at load time falls back to the
// constructor if this capnp-es version lays its messages out differently. A segment over a
// reused buffer reuses its DataView too (making one costs about 60 ns here).
import * as capnp from 'capnp-es'

type Segment = ReturnType<capnp.Message['getSegment']>
interface MessageState { arena: object, segments: Segment[], traversalLimit: number }

const probeBuffer = new ArrayBuffer(8)
const probe = new capnp.Message(probeBuffer, false, true)
const probeState = probe._capnp as unknown as MessageState
const SegmentClass = probe.getSegment(0).constructor as new (id: number, message: capnp.Message, buffer: ArrayBuffer, byteLength: number) => Segment
const SingleSegmentArena = probeState.arena.constructor as new (buffer: ArrayBuffer) => object
const defaultTraversalLimit = probeState.traversalLimit

/**
 * `new Segment(id, message, dv.buffer, byteLength)` over an existing DataView of all of its buffer:
 * the same own properties, set in the same order (the class fields, then the constructor's).
 */
function segmentOver (id: number, message: capnp.Message, dv: DataView, byteLength: number): Segment {
  const s = Object.create(SegmentClass.prototype) as Record<string | symbol, unknown>
  s.buffer = dv.buffer
  s.byteLength = byteLength
  s.byteOffset = 0
  s[Symbol.toStringTag] = 'Segment'
  s._dv = dv
  s.id = id
  s.message = message
  return s as unknown as Segment
}

const sameSegment = (a: Segment, b: Segment): boolean => {
  const keys = (s: Segment): string => JSON.stringify(Reflect.ownKeys(s).map(String))
  const fields = (s: Segment): unknown[] => Reflect.ownKeys(s).map((k) => (s as unknown as Record<string | symbol, unknown>)[k])
  const fa = fields(a)
  const fb = fields(b)
  return keys(a) === keys(b) && fa.every((v, i) => v === fb[i] || (v instanceof DataView && fb[i] instanceof DataView))
}

/** Segment 0 is made over `firstView` (a DataView of all of buffers[0]) when given; segments 0 all share one hidden class. */
function make (arena: object, buffers: ArrayBuffer[], traversalLimit: number, firstLength = buffers[0].byteLength, firstView?: DataView): capnp.Message {
  const msg = Object.create(capnp.Message.prototype) as capnp.Message
  const segments = new Array<Segment>(buffers.length)
  ;(msg as unknown as { _capnp: MessageState })._capnp = { arena, segments, traversalLimit }
  segments[0] = viewsWork ? segmentOver(0, msg, firstView ?? new DataView(buffers[0]), firstLength) : new SegmentClass(0, msg, buffers[0], firstLength)
  for (let i = 1; i < buffers.length; i++) segments[i] = new SegmentClass(i, msg, buffers[i], buffers[i].byteLength)
  return msg
}

const viewsWork = ((): boolean => {
  try {
    const made = segmentOver(0, probe, new DataView(probeBuffer), probe.getSegment(0).byteLength)
    return sameSegment(made, probe.getSegment(0))
  } catch { return false }
})()

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
  return dv instanceof DataView && dv.buffer === seg.buffer && dv.byteOffset === 0 && dv.byteLength === seg.buffer.byteLength ? dv : new DataView(seg.buffer)
}

/**
 * A message whose only segment is `buffer` (all of it in use; `view`, when given, a DataView of
 * all of it), growable like capnp-es's own.
 */
export function singleSegmentMessage (buffer: ArrayBuffer, view?: DataView): capnp.Message {
  if (!works) return new capnp.Message(buffer, false, true)
  return make(new SingleSegmentArena(buffer), [buffer], defaultTraversalLimit, buffer.byteLength, view)
}

/**
 * The arena of a received message (capnp-es's multi-segment kind): a reader that allocates in one
 * (capnp-es upgrading a struct list whose elements are smaller than the reader's) is charged for it
 * (list-reads.ts). A class, so the check is `instanceof` (a WeakSet of them cost 6 % of a small call).
 */
export class ReceivedArena {
  readonly kind = 1
  constructor (readonly buffers: ArrayBuffer[]) {}
}

/** Whether remake() can reset messages of this capnp-es version (else callers make new ones). */
export const REMAKE_WORKS = works && viewsWork

/**
 * Makes `msg` (made by this module over all of `dv`'s buffer, as received or as built) a fresh
 * message over that buffer again, `byteLength` bytes in use: received (read only, charged to
 * `traversalLimit`) or, with no traversalLimit, one being built (growable like capnp-es's own).
 * Only for messages nothing reads any more (call buffers: call-buffers.ts); what was added to
 * their state (a cap table, more segments, a grown buffer) is dropped.
 */
export function remake (msg: capnp.Message, dv: DataView, byteLength: number, traversalLimit?: number): void {
  const state = msg._capnp as unknown as MessageState & { capTable?: unknown }
  const buffer = dv.buffer as ArrayBuffer
  if (traversalLimit === undefined) {
    const arena = state.arena as { buffer?: ArrayBuffer }
    if (arena instanceof SingleSegmentArena) arena.buffer = buffer
    else state.arena = new SingleSegmentArena(buffer)
    state.traversalLimit = defaultTraversalLimit
  } else {
    const arena = state.arena
    if (arena instanceof ReceivedArena) {
      if (arena.buffers.length !== 1) arena.buffers.length = 1
      arena.buffers[0] = buffer
    } else {
      state.arena = new ReceivedArena([buffer])
    }
    state.traversalLimit = traversalLimit
  }
  if (state.segments.length !== 1) state.segments.length = 1
  if (state.capTable !== undefined) state.capTable = undefined
  const seg = state.segments[0] as unknown as { buffer: ArrayBuffer, byteLength: number, byteOffset: number, _dv: DataView }
  seg.buffer = buffer
  seg.byteLength = byteLength
  seg.byteOffset = 0
  seg._dv = dv
}

function receivedArena (buffers: ArrayBuffer[]): object {
  return new ReceivedArena(buffers)
}

/** A received message over its segments (read only). */
export function receivedMessage (segments: ArrayBuffer[], traversalLimit: number): capnp.Message {
  let msg: capnp.Message
  if (works) {
    msg = make(receivedArena(segments), segments, traversalLimit)
  } else {
    msg = new capnp.Message({ kind: 1, buffers: segments } as unknown as ArrayBuffer, false)
    msg._capnp.traversalLimit = traversalLimit
  }
  return msg
}

/**
 * A received one-segment message whose `byteLength` bytes were copied to the start of the buffer
 * of `into` (a DataView of all of a larger buffer, zeroed past them); undefined when this capnp-es
 * version's messages cannot be made so.
 */
export function receivedOver (into: DataView, byteLength: number, traversalLimit: number): capnp.Message | undefined {
  if (!works) return undefined
  const buffer = into.buffer as ArrayBuffer
  return make(receivedArena([buffer]), [buffer], traversalLimit, byteLength, into)
}

/** Up to this many bytes are copied a word at a time through DataViews, not through two new typed arrays. */
const WORD_COPY_MAX_BYTES = 1024

/**
 * Copies `bytes` bytes from `src` at `from` to `dst` at `to` (the views in bounds). A small copy
 * makes no object: two Uint8Arrays to copy through cost more than the copy itself here.
 */
export function copyBytes (dst: DataView, to: number, src: DataView, from: number, bytes: number): void {
  if (bytes > WORD_COPY_MAX_BYTES) {
    new Uint8Array(dst.buffer, dst.byteOffset + to, bytes).set(new Uint8Array(src.buffer, src.byteOffset + from, bytes))
    return
  }
  let i = 0
  for (; i + 4 <= bytes; i += 4) dst.setUint32(to + i, src.getUint32(from + i, true), true)
  for (; i < bytes; i++) dst.setUint8(to + i, src.getUint8(from + i))
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
