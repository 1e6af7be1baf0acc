// Cap'n Proto pointers read and written straight from/to a segment's bytes (the encoding spec's
// layout), for envelope.ts's hand-laid rpc.capnp messages. Readers check every bound and answer
// undefined for anything they do not handle (far pointers, non-composite struct lists...), so
// the caller can hand the message to capnp-es instead.

/** Writes a struct pointer at `at` to a struct `offsetWords` after the pointer's end. */
export function structPtr (dv: DataView, at: number, offsetWords: number, dataWords: number, ptrWords: number): void {
  dv.setUint32(at, offsetWords << 2, true)
  dv.setUint32(at + 4, dataWords | (ptrWords << 16), true)
}

/**
 * Writes an inline-composite list pointer at `at` to a list starting at `listAt` (its tag word),
 * with `count` elements of `dataWords` + `ptrWords` each, and the tag word.
 */
export function compositeListPtr (dv: DataView, at: number, listAt: number, count: number, dataWords: number, ptrWords: number): void {
  dv.setUint32(at, (((listAt - at - 8) >> 3) << 2) | 1, true)
  dv.setUint32(at + 4, 7 | ((count * (dataWords + ptrWords)) << 3), true)
  dv.setUint32(listAt, count << 2, true)
  dv.setUint32(listAt + 4, dataWords | (ptrWords << 16), true)
}

/** A struct located in the segment: byte offsets of its sections and their sizes. */
export class Loc {
  data = 0
  dataBytes = 0
  ptrs = 0
  ptrCount = 0
}

/**
 * Follows the struct pointer at byte `at`. null for a null pointer; undefined when it is not a
 * near struct pointer inside the segment's first `limit` bytes (the general path then decides).
 */
export function follow (dv: DataView, at: number, limit = dv.byteLength): Loc | null | undefined {
  return followInto(dv, at, new Loc(), limit)
}

/**
 * The one decoder of a struct pointer (every hand-written reader uses it: the envelope, the
 * direct field accessors, channel messages): follow(), written into `out` (a reader's own Loc,
 * reused: no object per pointer). A pointer outside `limit` is not followed.
 */
export function followInto (dv: DataView, at: number, out: Loc, limit = dv.byteLength): Loc | null | undefined {
  if (at < 0 || at + 8 > limit) return undefined
  const lo = dv.getInt32(at, true)
  const hi = dv.getUint32(at + 4, true)
  if (lo === 0 && hi === 0) return null
  if ((lo & 3) !== 0) return undefined
  const data = at + 8 + (lo >> 2) * 8
  const dataBytes = (hi & 0xffff) * 8
  const ptrCount = hi >>> 16
  const ptrs = data + dataBytes
  if (data < 0 || ptrs + ptrCount * 8 > limit) return undefined
  out.data = data
  out.dataBytes = dataBytes
  out.ptrs = ptrs
  out.ptrCount = ptrCount
  return out
}

/**
 * Counts one pointer followed (8 bytes) against a received message's traversal limit, as capnp-es
 * does for every pointer it follows; false, charging nothing, when that would exhaust it (the
 * caller then leaves the read to capnp-es, which raises the error).
 */
export function chargeTraversal (m: { traversalLimit: number }): boolean {
  if (m.traversalLimit <= 8) return false
  m.traversalLimit -= 8
  return true
}

/** An inline-composite list: where its first element starts, how many, and each element's shape. */
export interface ListLoc { first: number, count: number, dataBytes: number, ptrCount: number, stride: number }

/**
 * Follows the list pointer at `at` when it is a near inline-composite (struct) list inside the
 * segment whose elements have at least one data word (so its length is bounded by its bytes);
 * null for a null pointer, undefined otherwise.
 */
export function followStructList (dv: DataView, at: number): ListLoc | null | undefined {
  const lo = dv.getInt32(at, true)
  const hi = dv.getUint32(at + 4, true)
  if (lo === 0 && hi === 0) return null
  if ((lo & 3) !== 1 || (hi & 7) !== 7) return undefined
  const tagAt = at + 8 + (lo >> 2) * 8
  const words = hi >>> 3
  if (tagAt < 0 || tagAt + 8 + words * 8 > dv.byteLength) return undefined
  const tagLo = dv.getUint32(tagAt, true)
  const tagHi = dv.getUint32(tagAt + 4, true)
  if ((tagLo & 3) !== 0) return undefined
  const count = tagLo >>> 2
  const dataWords = tagHi & 0xffff
  const ptrCount = tagHi >>> 16
  if (dataWords === 0 || count * (dataWords + ptrCount) > words) return undefined
  return { first: tagAt + 8, count, dataBytes: dataWords * 8, ptrCount, stride: (dataWords + ptrCount) * 8 }
}

export function u16 (dv: DataView, s: Loc, off: number): number { return off + 2 <= s.dataBytes ? dv.getUint16(s.data + off, true) : 0 }
export function u32 (dv: DataView, s: Loc, off: number): number { return off + 4 <= s.dataBytes ? dv.getUint32(s.data + off, true) : 0 }
export function u64 (dv: DataView, s: Loc, off: number): bigint { return off + 8 <= s.dataBytes ? dv.getBigUint64(s.data + off, true) : 0n }
export function bit (dv: DataView, s: Loc, b: number): boolean { return (b >> 3) < s.dataBytes && (dv.getUint8(s.data + (b >> 3)) & (1 << (b & 7))) !== 0 }
/** Byte offset of pointer `i` of `s`, or -1 when the struct has no such pointer (reads as null). */
export function ptrAt (s: Loc, i: number): number { return i < s.ptrCount ? s.ptrs + i * 8 : -1 }
export function isNullPtr (dv: DataView, at: number): boolean { return at < 0 || (dv.getUint32(at, true) === 0 && dv.getUint32(at + 4, true) === 0) }
