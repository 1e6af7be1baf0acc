// The channel Message struct {data @0 :Data, cap @1 :Capability} read and written straight from/to
// its segment's bytes (the Cap'n Proto encoding spec's pointer layout). Going through capnp-es
// allocates several objects per field access, which costs more than the rest of a channel send.
// Only the common shape is handled (near pointers inside one segment, no capability); anything
// else answers undefined/false and the caller takes the general capnp-es path.
import type * as capnp from 'capnp-es'
import { Slab } from '../transport/slab.js'
import { Loc, chargeTraversal, followInto } from '../rpc/wire/layout.js'
import { copyBytes, growSegment, viewOf } from '../rpc/wire/message.js'
import { callBufferBytes, inCallBuffer } from '../rpc/wire/call-buffers.js'

type Segment = capnp.Struct['segment']

/** Element size code of a byte list (`Data`). */
const BYTE_ELEMENTS = 2
/** Bytes of a slab that received messages' data is copied into (at most a quarter of it each). */
export const DATA_SLAB_BYTES = 8 << 10
/** Room left past the data when a segment grows for it (the call's cap table, a few descriptors). */
const GROW_SLACK_BYTES = 128
/** Largest Data this path writes (a list pointer counts up to 2^29 elements). */
const MAX_FAST_DATA_BYTES = 1 << 28

const LOC = new Loc()

/** Byte offset of the pointer section of the struct `m` points to; null for a null pointer; undefined if not a plain near struct pointer. */
function pointerSection (m: capnp.Struct, minPointers: number): number | null | undefined {
  if (m._capnp.compositeList) return undefined
  const seg = m.segment
  const l = followInto(viewOf(seg), m.byteOffset, LOC, seg.byteLength)
  if (l === null || l === undefined) return l
  return l.ptrCount < minPointers ? undefined : l.ptrs
}

function isNull (seg: Segment, at: number): boolean {
  return seg.getUint32(at) === 0 && seg.getUint32(at + 4) === 0
}

/**
 * Channel messages' data, copied out of their RPC messages (whose buffers are reused once the call
 * is handled) into small slabs: a slab is freed once every message cut from it is gone, and a
 * message costs no ArrayBuffer of its own (about 1.3 µs here).
 */
const dataSlab = new Slab(DATA_SLAB_BYTES)

/**
 * The message's data when it has no capability; undefined when the general path must read it.
 * Data in a call buffer (reused once the call is handled) is copied; otherwise it is a view of the
 * message's segment, a buffer of its own that nothing writes again (the one copy on the receiving
 * side was the transport's).
 */
export function readDataFast (m: capnp.Struct): Uint8Array | undefined {
  // The data list is one level below the Message: at the depth limit, capnp-es refuses it.
  if (m._capnp.compositeList || m._capnp.depthLimit < 2) return undefined
  return dataOfMessageAt(m.segment, m.byteOffset)
}

/**
 * readDataFast of the Message in pointer field `index` of `holder` (Sender.send's params, say),
 * read straight from the bytes: no struct object for the Message. The pointer followed to the
 * Message is charged to the traversal limit, as reading the field with capnp-es would; a Message
 * nested deeper than the depth limit allows is left to capnp-es (undefined), which refuses it.
 */
export function readFieldDataFast (holder: capnp.Struct, index: number): Uint8Array | undefined {
  if (holder._capnp.compositeList || holder._capnp.depthLimit < 3) return undefined
  const seg = holder.segment
  const l = followInto(viewOf(seg), holder.byteOffset, LOC, seg.byteLength)
  if (l === null || l === undefined || index >= l.ptrCount) return undefined
  const at = l.ptrs + index * 8
  if (isNull(seg, at) || !chargeTraversal(seg.message._capnp)) return undefined
  return dataOfMessageAt(seg, at)
}

/** readDataFast of the Message whose struct pointer is at byte `at` of `seg`. */
function dataOfMessageAt (seg: Segment, at: number): Uint8Array | undefined {
  const l = followInto(viewOf(seg), at, LOC, seg.byteLength)
  if (l === null) return new Uint8Array(0)
  if (l === undefined || l.ptrCount < 2) return undefined
  const ptrs = l.ptrs
  if (!isNull(seg, ptrs + 8)) return undefined // a capability rides along
  const lo = seg.getInt32(ptrs)
  const hi = seg.getUint32(ptrs + 4)
  if (lo === 0 && hi === 0) return new Uint8Array(0)
  if ((lo & 3) !== 1 || (hi & 7) !== BYTE_ELEMENTS) return undefined
  const start = ptrs + 8 + (lo >> 2) * 8
  const count = hi >>> 3
  if (start < 0 || start + count > seg.byteLength || !chargeTraversal(seg.message._capnp)) return undefined
  if (!inCallBuffer(seg.message, seg.buffer)) return new Uint8Array(seg.buffer, start, count)
  const dst = dataSlab.take(count)
  copyBytes(dataSlab.dv, dst, viewOf(seg), start, count)
  return dataSlab.dst.subarray(dst, dst + count)
}

/**
 * Takes `bytes` more at the end of the segment, growing a one-segment message's segment when they do not fit;
 * where they start, or undefined (nothing taken) when the segment cannot grow.
 */
function reserveTail (seg: Segment, bytes: number): number | undefined {
  const at = seg.byteLength
  const end = at + bytes
  if (end > seg.buffer.byteLength) {
    if (seg.id !== 0 || seg.message._capnp.segments.length !== 1) return undefined
    growSegment(seg.message, end + GROW_SLACK_BYTES)
  }
  seg.byteLength = end
  return at
}

/**
 * Sets the data of a Message whose data pointer is still null, copying the bytes once, at the end of
 * its segment (a one-segment message's segment grows to fit them); false (nothing written) when the
 * message has another shape.
 */
export function writeDataFast (m: capnp.Struct, data: Uint8Array): boolean {
  if (data.byteLength > MAX_FAST_DATA_BYTES) return false
  const ptrs = pointerSection(m, 1)
  if (ptrs === null || ptrs === undefined) return false
  const seg = m.segment
  if (!isNull(seg, ptrs)) return false
  const words = (data.byteLength + 7) >>> 3
  const at = reserveTail(seg, words * 8)
  if (at === undefined) return false
  const bytes = callBufferBytes(seg.message, seg.buffer)
  if (bytes !== undefined) {
    bytes.set(data, at) // a call buffer is zeroed past what its message uses
  } else {
    const dst = new Uint8Array(seg.buffer, at, words * 8)
    dst.set(data)
    dst.fill(0, data.byteLength)
  }
  seg.setInt32(ptrs, (((at - ptrs - 8) >> 3) << 2) | 1)
  seg.setUint32(ptrs + 4, (data.byteLength << 3) | BYTE_ELEMENTS)
  return true
}

/** Bytes of a Message struct: no data words, two pointers (data, cap). */
const MESSAGE_STRUCT_BYTES = 16

/**
 * Writes a Message holding `data` (no capability) into the null pointer field `index` of
 * `holder` (Sender.send's params, say), laid out straight in the bytes: the Message struct, then
 * its data, at the end of the segment (a one-segment message's segment grows to fit). No struct
 * object for the Message. False (nothing written) when the holder has another shape.
 */
export function writeFieldDataFast (holder: capnp.Struct, index: number, data: Uint8Array): boolean {
  if (data.byteLength > MAX_FAST_DATA_BYTES || holder._capnp.compositeList) return false
  const seg = holder.segment
  const l = followInto(viewOf(seg), holder.byteOffset, LOC, seg.byteLength)
  if (l === null || l === undefined || index >= l.ptrCount) return false
  const p = l.ptrs + index * 8
  if (!isNull(seg, p)) return false
  const n = data.byteLength
  const at = reserveTail(seg, MESSAGE_STRUCT_BYTES + ((n + 7) & ~7))
  if (at === undefined) return false
  const end = seg.byteLength
  const bytes = callBufferBytes(seg.message, seg.buffer)
  if (bytes !== undefined) {
    if (n > 0) bytes.set(data, at + MESSAGE_STRUCT_BYTES) // a call buffer is zeroed past what its message uses
  } else {
    const dst = new Uint8Array(seg.buffer, at, end - at)
    dst.fill(0)
    dst.set(data, MESSAGE_STRUCT_BYTES)
  }
  seg.setInt32(p, ((at - p - 8) >> 3) << 2)
  seg.setUint32(p + 4, 2 << 16)
  if (n > 0) {
    seg.setInt32(at, (1 << 2) | 1) // a list one word past this pointer's end: right after the Message's two pointers
    seg.setUint32(at + 4, (n << 3) | BYTE_ELEMENTS)
  }
  return true
}
