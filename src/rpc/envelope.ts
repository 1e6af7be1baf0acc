// The hot rpc.capnp messages (Call, Return, Finish, Release) read and written straight from/to
// their bytes. capnp-es allocates objects for every field access, which costs more than the rest
// of a call; the envelope's layout is fixed by rpc.capnp (ids below are its field offsets), so we
// lay it out ourselves and hand capnp-es only the params/results content. Anything unusual (far
// pointers, several segments, promisedAnswer targets, exceptions) takes the general capnp-es path.
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'

type Segment = ReturnType<capnp.Message['getSegment']>

// Message union tags (rpc.capnp `Message`).
export const TAG_CALL = 2
export const TAG_RETURN = 3
export const TAG_FINISH = 4
export const TAG_RELEASE = 6

/** Struct pointer word for a struct `offsetWords` after the pointer's end. */
function structPtr (dv: DataView, at: number, offsetWords: number, dataWords: number, ptrWords: number): void {
  dv.setUint32(at, offsetWords << 2, true)
  dv.setUint32(at + 4, dataWords | (ptrWords << 16), true)
}

/** Marks messages whose first segment starts with one of the layouts below. */
const CALL_LAYOUT = Symbol('ww.callLayout')
const RETURN_LAYOUT = Symbol('ww.returnLayout')
type Marked = { [CALL_LAYOUT]?: true, [RETURN_LAYOUT]?: true }

// Call message, first segment (words): 0 root -> 1 Message{which} ; 2 -> 3..5 Call data,
// 6 target -> 9 MessageTarget{importedCap, which} (10: its promisedAnswer), 7 params -> 11 Payload
// {11 content, 12 capTable}, 8 sendResultsTo.thirdParty.
const CALL_BYTES = 13 * 8
const CALL_DATA = 3 * 8
const CALL_PARAMS_PTR = 7 * 8
const CALL_TARGET = 9 * 8
/** Room for small params after the envelope, so most calls need no second allocation. */
const CALL_BUFFER = 512

/** Byte offset of the params content pointer in a Call we laid out (Payload pointer 0). */
export const CALL_CONTENT_PTR = 11 * 8

/**
 * A new Call message with its envelope laid out and, when it fits, an empty `Params` struct as
 * the params content (`struct`; else fill `params` with capnp-es, e.g. initStructAt).
 */
export function newCallMessage<P extends capnp.Struct> (interfaceId: bigint, methodId: number, Params?: capnp.StructCtor<P>):
{ msg: capnp.Message, params: rpc.Payload, struct?: P } {
  const buf = new ArrayBuffer(CALL_BUFFER)
  const dv = new DataView(buf)
  structPtr(dv, 0, 0, 1, 1)
  dv.setUint16(8, TAG_CALL, true)
  structPtr(dv, 16, 0, 3, 3)
  dv.setUint16(CALL_DATA + 4, methodId, true)
  dv.setBigUint64(CALL_DATA + 8, interfaceId, true)
  structPtr(dv, 48, 2, 1, 1)
  structPtr(dv, CALL_PARAMS_PTR, 3, 0, 2)
  const msg = new capnp.Message(buf, false, true)
  const seg = msg.getSegment(0)
  seg.byteLength = CALL_BYTES
  ;(msg as Marked)[CALL_LAYOUT] = true
  const struct = Params === undefined ? undefined : layStruct(seg, dv, CALL_CONTENT_PTR, Params)
  return { msg, params: new rpc.Payload(seg, CALL_PARAMS_PTR), struct }
}

/**
 * Appends an empty struct of `Ctor`'s size to segment 0 and points the (null) pointer at `ptrAt`
 * to it; undefined when it does not fit in the buffer (then use capnp-es).
 */
function layStruct<T extends capnp.Struct> (seg: Segment, dv: DataView, ptrAt: number, Ctor: capnp.StructCtor<T>): T | undefined {
  const size = Ctor._capnp.size
  if (size === undefined) return undefined
  const dataWords = (size.dataByteLength + 7) >>> 3
  const words = dataWords + size.pointerLength
  const at = seg.byteLength
  if (at + words * 8 > dv.byteLength) return undefined
  if (words === 0) dv.setUint32(ptrAt, 0xfffffffc, true) // empty struct: offset -1, never null
  else structPtr(dv, ptrAt, (at - ptrAt - 8) >> 3, dataWords, size.pointerLength)
  seg.byteLength = at + words * 8
  return new Ctor(seg, ptrAt)
}

/**
 * The struct a received message's pointer at `ptrAt` (segment 0) names, as `Ctor`, without
 * capnp-es's checks: only for a near struct pointer inside the segment, at least as large as
 * `Ctor` (so no field read falls outside it); undefined otherwise (use capnp-es getStruct).
 */
export function structAt<T extends capnp.Struct> (seg: Segment, ptrAt: number, Ctor: capnp.StructCtor<T>, depthLimit: number): T | undefined {
  const size = Ctor._capnp.size
  if (size === undefined || ptrAt < 0) return undefined
  const dv = new DataView(seg.buffer, 0, seg.byteLength)
  const s = follow(dv, ptrAt)
  if (s === undefined || s === null || s.dataBytes < size.dataByteLength || s.ptrCount < size.pointerLength) return undefined
  return new Ctor(seg, ptrAt, depthLimit)
}

/** The params payload of a Call message (any layout). */
export function callParams (msg: capnp.Message): rpc.Payload {
  if ((msg as Marked)[CALL_LAYOUT] === true) return new rpc.Payload(msg.getSegment(0), CALL_PARAMS_PTR)
  return new rpc.Message(msg.getSegment(0), 0).call.params
}

/**
 * Writes questionId, an importedCap target and sendResultsTo into a Call we laid out; false if the
 * message has another layout (the caller then uses capnp-es).
 */
export function writeCallHeader (msg: capnp.Message, questionId: number, importedCap: number, yourself: boolean): boolean {
  if ((msg as Marked)[CALL_LAYOUT] !== true) return false
  const dv = new DataView(msg.getSegment(0).buffer)
  dv.setUint32(CALL_DATA, questionId, true)
  dv.setUint16(CALL_DATA + 6, yourself ? 1 : 0, true)
  dv.setUint32(CALL_TARGET, importedCap, true)
  dv.setUint16(CALL_TARGET + 4, 0, true)
  return true
}

/** Turns a Call (any layout) into `sendResultsTo.yourself`. */
export function setCallYourself (msg: capnp.Message): void {
  if ((msg as Marked)[CALL_LAYOUT] === true) new DataView(msg.getSegment(0).buffer).setUint16(CALL_DATA + 6, 1, true)
  else new rpc.Message(msg.getSegment(0), 0).call.sendResultsTo.yourself = true
}

// Return message, first segment (words): 0 root -> 1 Message{which}; 2 -> 3..4 Return data,
// 5 results -> 6 Payload {6 content, 7 capTable}.
const RETURN_BYTES = 8 * 8
const RETURN_DATA = 3 * 8
const RETURN_RESULTS_PTR = 5 * 8
const RETURN_BUFFER = 512

/** Byte offset of the results content pointer in a Return we laid out. */
const RETURN_CONTENT_PTR = 6 * 8

/**
 * A new Return message with `results` set and releaseParamCaps = false, and (when it fits) an
 * empty `Results` struct as its content (`struct`; else fill `payload` with capnp-es).
 */
export function newResultsMessage<R extends capnp.Struct> (Results?: capnp.StructCtor<R>): { msg: capnp.Message, payload: rpc.Payload, struct?: R } {
  const buf = new ArrayBuffer(RETURN_BUFFER)
  const dv = new DataView(buf)
  structPtr(dv, 0, 0, 1, 1)
  dv.setUint16(8, TAG_RETURN, true)
  structPtr(dv, 16, 0, 2, 1)
  dv.setUint8(RETURN_DATA + 4, 1) // releaseParamCaps (default true) = false
  structPtr(dv, RETURN_RESULTS_PTR, 0, 0, 2)
  const msg = new capnp.Message(buf, false, true)
  const seg = msg.getSegment(0)
  seg.byteLength = RETURN_BYTES
  ;(msg as Marked)[RETURN_LAYOUT] = true
  const struct = Results === undefined ? undefined : layStruct(seg, dv, RETURN_CONTENT_PTR, Results)
  return { msg, payload: new rpc.Payload(seg, RETURN_RESULTS_PTR), struct }
}

/** Sets answerId of a Return we laid out; false for any other layout. */
export function writeReturnHeader (msg: capnp.Message, answerId: number): boolean {
  if ((msg as Marked)[RETURN_LAYOUT] !== true) return false
  new DataView(msg.getSegment(0).buffer).setUint32(RETURN_DATA, answerId, true)
  return true
}

/** Bytes of a Finish or Release frame (header + one 4-word segment). */
export const SMALL_FRAME_BYTES = 40

/** Writes a Finish frame at `at`. */
export function writeFinish (dv: DataView, at: number, questionId: number, releaseResultCaps: boolean): void {
  dv.setUint32(at, 0, true)
  dv.setUint32(at + 4, 4, true)
  structPtr(dv, at + 8, 0, 1, 1)
  dv.setBigUint64(at + 16, BigInt(TAG_FINISH), true)
  structPtr(dv, at + 24, 0, 1, 0)
  dv.setUint32(at + 32, questionId, true)
  dv.setUint32(at + 36, releaseResultCaps ? 0 : 1, true) // default true
}

/** Writes a Release frame at `at`. */
export function writeRelease (dv: DataView, at: number, id: number, referenceCount: number): void {
  dv.setUint32(at, 0, true)
  dv.setUint32(at + 4, 4, true)
  structPtr(dv, at + 8, 0, 1, 1)
  dv.setBigUint64(at + 16, BigInt(TAG_RELEASE), true)
  structPtr(dv, at + 24, 0, 1, 0)
  dv.setUint32(at + 32, id, true)
  dv.setUint32(at + 36, referenceCount, true)
}

// --- reading -----------------------------------------------------------------------------------

/** A struct located in segment 0: byte offsets of its sections and their sizes. */
interface Loc { data: number, dataBytes: number, ptrs: number, ptrCount: number }

/**
 * Follows the struct pointer at byte `at` of segment 0. null for a null pointer; undefined when
 * it is not a near struct pointer inside the segment (the general path then decides).
 */
function follow (dv: DataView, at: number): Loc | null | undefined {
  const lo = dv.getInt32(at, true)
  const hi = dv.getUint32(at + 4, true)
  if (lo === 0 && hi === 0) return null
  if ((lo & 3) !== 0) return undefined
  const data = at + 8 + (lo >> 2) * 8
  const dataBytes = (hi & 0xffff) * 8
  const ptrCount = hi >>> 16
  const ptrs = data + dataBytes
  if (data < 0 || ptrs + ptrCount * 8 > dv.byteLength) return undefined
  return { data, dataBytes, ptrs, ptrCount }
}

function u16 (dv: DataView, s: Loc, off: number): number { return off + 2 <= s.dataBytes ? dv.getUint16(s.data + off, true) : 0 }
function u32 (dv: DataView, s: Loc, off: number): number { return off + 4 <= s.dataBytes ? dv.getUint32(s.data + off, true) : 0 }
function u64 (dv: DataView, s: Loc, off: number): bigint { return off + 8 <= s.dataBytes ? dv.getBigUint64(s.data + off, true) : 0n }
function bit (dv: DataView, s: Loc, b: number): boolean { return (b >> 3) < s.dataBytes && (dv.getUint8(s.data + (b >> 3)) & (1 << (b & 7))) !== 0 }
/** Byte offset of pointer `i` of `s`, or -1 when the struct has no such pointer (reads as null). */
function ptrAt (s: Loc, i: number): number { return i < s.ptrCount ? s.ptrs + i * 8 : -1 }
function isNullPtr (dv: DataView, at: number): boolean { return at < 0 || dv.getBigUint64(at, true) === 0n }

export interface FastCall {
  tag: typeof TAG_CALL
  questionId: number
  interfaceId: bigint
  methodId: number
  importedCap: number
  sendResultsTo: number
  /** Byte offset (segment 0) of the params pointer, for a capnp-es Payload over it. */
  paramsPtr: number
  /** Byte offset of the params content pointer (-1: none). */
  contentPtr: number
}

export interface FastReturn {
  tag: typeof TAG_RETURN
  answerId: number
  releaseParamCaps: boolean
  /** Byte offset of the results pointer. */
  resultsPtr: number
  /** Byte offset of the results content pointer (-1: none). */
  contentPtr: number
}

export interface FastFinish { tag: typeof TAG_FINISH, questionId: number, releaseResultCaps: boolean }

/**
 * Decodes a Call to an imported cap, a Return with results and no capabilities, or a Finish,
 * from one-segment messages; undefined for anything else (decode it with capnp-es).
 */
export function readFast (segment: ArrayBuffer): FastCall | FastReturn | FastFinish | undefined {
  if (segment.byteLength < 16) return undefined
  const dv = new DataView(segment)
  const root = follow(dv, 0)
  if (root === undefined || root === null || root.ptrCount < 1) return undefined
  const tag = u16(dv, root, 0)
  if (tag !== TAG_CALL && tag !== TAG_RETURN && tag !== TAG_FINISH) return undefined
  const body = follow(dv, root.ptrs)
  if (body === undefined || body === null) return undefined
  if (tag === TAG_FINISH) return { tag, questionId: u32(dv, body, 0), releaseResultCaps: !bit(dv, body, 32) }
  if (tag === TAG_CALL) {
    const sendResultsTo = u16(dv, body, 6)
    if (sendResultsTo > 1) return undefined
    const targetAt = ptrAt(body, 0)
    if (targetAt < 0) return undefined
    const target = follow(dv, targetAt)
    if (target === undefined || target === null || u16(dv, target, 4) !== 0) return undefined
    const paramsPtr = ptrAt(body, 1)
    if (paramsPtr < 0) return undefined
    const contentPtr = contentOf(dv, paramsPtr)
    if (contentPtr === undefined) return undefined
    return { tag, questionId: u32(dv, body, 0), interfaceId: u64(dv, body, 8), methodId: u16(dv, body, 4), importedCap: u32(dv, target, 0), sendResultsTo, paramsPtr, contentPtr }
  }
  if (u16(dv, body, 6) !== 0) return undefined // not `results`
  const resultsPtr = ptrAt(body, 0)
  if (resultsPtr < 0) return undefined
  const contentPtr = contentOf(dv, resultsPtr)
  if (contentPtr === undefined) return undefined
  return { tag, answerId: u32(dv, body, 0), releaseParamCaps: !bit(dv, body, 32), resultsPtr, contentPtr }
}

/**
 * For the Payload at `at`: the byte offset of its content pointer (-1 if it has none), when it
 * is a near struct whose capTable is null or empty; undefined otherwise.
 */
function contentOf (dv: DataView, at: number): number | undefined {
  const p = follow(dv, at)
  if (p === undefined || p === null) return undefined
  const capsAt = ptrAt(p, 1)
  if (!isNullPtr(dv, capsAt)) {
    const lo = dv.getUint32(capsAt, true)
    const hi = dv.getUint32(capsAt + 4, true)
    if ((lo & 3) !== 1 || (hi >>> 3) !== 0) return undefined
  }
  return ptrAt(p, 0)
}
