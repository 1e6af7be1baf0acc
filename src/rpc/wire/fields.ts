// Direct access to the plain fields of capnp-es's generated struct classes. capnp-es builds
// several Pointer objects (and a Proxy for Text) on every field access, which costs more than
// the rest of a small RPC call; these read and write the bytes of the struct straight away. They
// take the common case only: a struct reached by a near pointer inside its segment, a field
// inside its sections, a null pointer to write into with room in the segment. Anything else
// (far pointers, composite-list elements, a smaller struct from an older schema, a full
// segment...) answers undefined/-1/false and the caller runs capnp-es's own code, so behaviour
// and errors stay capnp-es's. tools/capnpc-ww writes the calls into the accessors of the
// non-union fields without an explicit default (tools/capnpc-ww/direct-fields.ts); tests compare
// each against capnp-es both ways.
import * as capnp from 'capnp-es'
import { makeStruct } from './struct.js'
import { Loc, chargeTraversal, followInto } from './layout.js'
import { viewOf } from './message.js'

type Struct = capnp.Struct
type Segment = ReturnType<capnp.Message['getSegment']>

const decoder = new TextDecoder()
const encoder = new TextEncoder()

// Where locate() found the struct's sections (byte offsets in its segment); valid until the next call.
let dataStart = 0
let dataBytes = 0
let ptrsAt = 0
let ptrCount = 0

const LOC = new Loc()

/** Locates the sections of `s` when a near struct pointer inside its segment reaches it (not a composite-list element). */
function locate (s: Struct): boolean {
  if (s._capnp.compositeIndex !== undefined) return false
  const seg = s.segment
  const l = followInto(viewOf(seg), s.byteOffset, LOC, seg.byteLength)
  if (l === undefined || l === null) return false
  dataStart = l.data
  dataBytes = l.dataBytes
  ptrsAt = l.ptrs
  ptrCount = l.ptrCount
  return true
}

/** Byte offset (in its segment) of the `size` bytes at byte `offset` of the data section of `s`; -1: use capnp-es. */
export function dataAt (s: Struct, offset: number, size: number): number {
  return locate(s) && offset + size <= dataBytes ? dataStart + offset : -1
}

/** Byte offset of pointer `index` of `s` (-1: not the common case). */
function pointerOf (s: Struct, index: number): number {
  return locate(s) && index < ptrCount ? ptrsAt + index * 8 : -1
}

function isNull (seg: Segment, p: number): boolean { return seg.getUint32(p) === 0 && seg.getUint32(p + 4) === 0 }

/** `bytes` zeroed bytes at the end of the segment, when it has room; their offset, or -1. */
function bump (seg: Segment, bytes: number): number {
  const at = seg.byteLength
  if (at + bytes > seg.buffer.byteLength) return -1
  new Uint8Array(seg.buffer, at, bytes).fill(0)
  seg.byteLength = at + bytes
  return at
}

/** The Text at pointer `index` of `s`; undefined: read it with capnp-es. */
export function readText (s: Struct, index: number): string | undefined {
  const p = pointerOf(s, index)
  if (p < 0) return undefined
  const seg = s.segment
  const lo = seg.getInt32(p)
  const hi = seg.getUint32(p + 4)
  if (lo === 0 && hi === 0) return ''
  if ((lo & 3) !== 1 || (hi & 7) !== 2) return undefined // not a near list of bytes
  const n = hi >>> 3
  const at = p + 8 + (lo >> 2) * 8
  if (n === 0 || at < 0 || at + n > seg.byteLength || !chargeTraversal(seg.message._capnp)) return undefined
  return decoder.decode(new Uint8Array(seg.buffer, at, n - 1))
}

/** Writes Text into the (null) pointer `index` of `s`; false (nothing written): write it with capnp-es. */
export function writeText (s: Struct, index: number, value: string): boolean {
  const p = pointerOf(s, index)
  if (p < 0) return false
  const seg = s.segment
  if (!isNull(seg, p)) return false
  const max = value.length * 3 + 1 // UTF-8 bytes of a UTF-16 unit: at most 3, plus the NUL
  const at = seg.byteLength
  if (at + max > seg.buffer.byteLength) return false
  const { written } = encoder.encodeInto(value, new Uint8Array(seg.buffer, at, max - 1))
  const n = written + 1
  const padded = (n + 7) & ~7
  new Uint8Array(seg.buffer, at + written, padded - written).fill(0)
  seg.byteLength = at + padded
  seg.setUint32(p, (((at - p - 8) >> 3) << 2) | 1)
  seg.setUint32(p + 4, (n << 3) | 2)
  return true
}

/** Sets the union tag of `s` (a UInt16 at byte `offset` of its data section); through capnp-es off the common case. */
export function setUnionTag (s: Struct, offset: number, which: number): void {
  if (locate(s) && offset + 2 <= dataBytes) s.segment.setUint16(dataStart + offset, which)
  else capnp.utils.setUint16(offset, which, s)
}

/**
 * Points the (null) pointer `index` of `s` at capability `capIndex` of the message's cap table,
 * in the common case; false otherwise (capnp-es's setInterfacePointer then does it).
 */
export function setCapPointer (s: Struct, index: number, capIndex: number): boolean {
  const p = pointerOf(s, index)
  if (p < 0) return false
  const seg = s.segment
  if (!isNull(seg, p)) return false
  seg.setUint32(p, 3) // an "other" pointer of kind 0: a capability
  seg.setUint32(p + 4, capIndex)
  return true
}

const TARGET = new Loc()

/** The struct at pointer `index` of `s`; undefined: read it with capnp-es. */
export function readStruct<T extends Struct> (s: Struct, index: number, Ctor: capnp.StructCtor<T>): T | undefined {
  const p = pointerOf(s, index)
  if (p < 0) return undefined
  const seg = s.segment
  const t = followInto(viewOf(seg), p, TARGET, seg.byteLength)
  const size = Ctor._capnp.size!
  if (t === undefined || t === null || t.dataBytes < size.dataByteLength || t.ptrCount < size.pointerLength) return undefined
  return makeStruct(Ctor, seg, p, s._capnp.depthLimit - 1)
}

/** Makes a struct at the (null) pointer `index` of `s`; undefined (nothing written): init it with capnp-es. */
export function initStructField<T extends Struct> (s: Struct, index: number, Ctor: capnp.StructCtor<T>): T | undefined {
  const p = pointerOf(s, index)
  if (p < 0) return undefined
  const seg = s.segment
  if (!isNull(seg, p)) return undefined
  const size = Ctor._capnp.size!
  const dataWords = (size.dataByteLength + 7) >>> 3
  const bytes = (dataWords + size.pointerLength) * 8
  if (bytes === 0) return undefined
  const at = bump(seg, bytes)
  if (at < 0) return undefined
  seg.setUint32(p, ((at - p - 8) >> 3) << 2)
  seg.setUint32(p + 4, dataWords | (size.pointerLength << 16))
  return makeStruct(Ctor, seg, p, s._capnp.depthLimit - 1)
}
