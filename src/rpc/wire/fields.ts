// Direct accessors for the plain fields of capnp-es's generated struct classes. capnp-es builds
// several Pointer objects (and a Proxy for Text) on every field access, which costs more than
// the rest of a small RPC call; these read and write the bytes of the struct straight away. They
// take the common case only: a struct reached by a near pointer inside its segment, a field
// inside its sections, a null pointer to write into with room in the segment. Anything else
// (far pointers, composite-list elements, a smaller struct from an older schema, a full
// segment...) goes to capnp-es's own accessor, so behaviour and errors stay capnp-es's.
// tools/capnpc-ww installs them (`directFields`) for the non-union fields without an explicit
// default; tests compare each against capnp-es both ways.
import * as capnp from 'capnp-es'
import { makeStruct } from './struct.js'
import { Loc, chargeTraversal, followInto } from './layout.js'
import { viewOf } from './message.js'

type Struct = capnp.Struct
type Segment = ReturnType<capnp.Message['getSegment']>
type StructCtor = capnp.StructCtor<Struct>

/** How a field is stored: a data field of a primitive type, or a Text/struct pointer. */
export type FieldKind = 'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64' | 'text' | 'struct'

/**
 * One field: accessor name, kind, and where it is: the bit (bool), byte (other data fields) or
 * pointer index; for 'struct' its class (the `_init<Name>` method gets a direct version too).
 */
export type FieldSpec = [name: string, kind: FieldKind, offset: number, Ctor?: StructCtor]

const decoder = new TextDecoder()
const encoder = new TextEncoder()

// Where locate() found the struct's sections (byte offsets in its segment); valid until the next call.
let dataAt = 0
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
  dataAt = l.data
  dataBytes = l.dataBytes
  ptrsAt = l.ptrs
  ptrCount = l.ptrCount
  return true
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

function getText (s: Struct, index: number): string | undefined {
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

function setText (s: Struct, index: number, value: string): boolean {
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
  if (locate(s) && offset + 2 <= dataBytes) s.segment.setUint16(dataAt + offset, which)
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

function getStruct (s: Struct, index: number, Ctor: StructCtor): Struct | undefined {
  const p = pointerOf(s, index)
  if (p < 0) return undefined
  const seg = s.segment
  const t = followInto(viewOf(seg), p, TARGET, seg.byteLength)
  const size = Ctor._capnp.size!
  if (t === undefined || t === null || t.dataBytes < size.dataByteLength || t.ptrCount < size.pointerLength) return undefined
  return makeStruct(Ctor, seg, p, s._capnp.depthLimit - 1)
}

function initStruct (s: Struct, index: number, Ctor: StructCtor): Struct | undefined {
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

type Getter = (this: Struct) => unknown
type Setter = (this: Struct, v: any) => void
type Read = (seg: Segment, at: number) => unknown
type Write = (seg: Segment, at: number, v: any) => void

/** Bytes, reader and writer of each primitive data field kind (the segment's little-endian accessors). */
const DATA: Record<string, [number, Read, Write]> = {
  int8: [1, (g, o) => g.getInt8(o), (g, o, v) => { g.setInt8(o, v) }],
  uint8: [1, (g, o) => g.getUint8(o), (g, o, v) => { g.setUint8(o, v) }],
  int16: [2, (g, o) => g.getInt16(o), (g, o, v) => { g.setInt16(o, v) }],
  uint16: [2, (g, o) => g.getUint16(o), (g, o, v) => { g.setUint16(o, v) }],
  int32: [4, (g, o) => g.getInt32(o), (g, o, v) => { g.setInt32(o, v) }],
  uint32: [4, (g, o) => g.getUint32(o), (g, o, v) => { g.setUint32(o, v) }],
  int64: [8, (g, o) => g.getInt64(o), (g, o, v) => { g.setInt64(o, v) }],
  uint64: [8, (g, o) => g.getUint64(o), (g, o, v) => { g.setUint64(o, v) }],
  float32: [4, (g, o) => g.getFloat32(o), (g, o, v) => { g.setFloat32(o, v) }],
  float64: [8, (g, o) => g.getFloat64(o), (g, o, v) => { g.setFloat64(o, v) }]
}

function dataAccessors (kind: FieldKind, offset: number, get: Getter, set: Setter): { get: Getter, set: Setter } {
  if (kind === 'bool') {
    const byte = offset >>> 3
    const mask = 1 << (offset & 7)
    return {
      get () { return locate(this) && byte < dataBytes ? (this.segment.getUint8(dataAt + byte) & mask) !== 0 : get.call(this) },
      set (v: boolean) {
        if (!locate(this) || byte >= dataBytes) { set.call(this, v); return }
        const b = this.segment.getUint8(dataAt + byte)
        this.segment.setUint8(dataAt + byte, v ? b | mask : b & ~mask)
      }
    }
  }
  const [size, read, write] = DATA[kind]
  return {
    get () { return locate(this) && offset + size <= dataBytes ? read(this.segment, dataAt + offset) : get.call(this) },
    set (v: unknown) {
      if (!locate(this) || offset + size > dataBytes) { set.call(this, v); return }
      write(this.segment, dataAt + offset, v)
    }
  }
}

/**
 * Replaces the accessors of these fields on a capnp-es generated struct class with direct ones
 * (each falls back to the one it replaces). Fields whose accessors are not where expected are
 * left alone.
 */
export function directFields (Class: StructCtor, fields: FieldSpec[]): void {
  const proto = Class.prototype as Record<string, unknown>
  for (const [name, kind, offset, Ctor] of fields) {
    const d = Object.getOwnPropertyDescriptor(proto, name)
    if (d?.get === undefined) continue
    const get = d.get as Getter
    const set = (d.set ?? function (this: Struct) { throw new TypeError(`${name} is read-only`) }) as Setter
    let acc: { get: Getter, set: Setter }
    if (kind === 'text') {
      acc = {
        get () { return getText(this, offset) ?? get.call(this) },
        set (v: string) { if (!setText(this, offset, v)) set.call(this, v) }
      }
    } else if (kind === 'struct') {
      if (Ctor?._capnp.size === undefined) continue
      acc = { get () { return getStruct(this, offset, Ctor) ?? get.call(this) }, set }
      const initName = `_init${name[0].toUpperCase()}${name.slice(1)}`
      const init = proto[initName]
      if (typeof init === 'function' && init.length === 0) {
        Object.defineProperty(proto, initName, {
          value: function (this: Struct) { return initStruct(this, offset, Ctor) ?? init.call(this) },
          writable: true, configurable: true
        })
      }
    } else {
      acc = dataAccessors(kind, offset, get, set)
    }
    Object.defineProperty(proto, name, { get: acc.get, set: d.set === undefined ? undefined : acc.set, enumerable: d.enumerable, configurable: true })
  }
}
