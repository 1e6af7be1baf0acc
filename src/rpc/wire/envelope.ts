// The hot rpc.capnp messages (Call, Return, Finish, Release) read and written straight from/to
// their bytes. capnp-es allocates objects for every field access, which costs more than the rest
// of a call; the envelope's layout is fixed by rpc.capnp (ids below are its field offsets), so we
// lay it out ourselves and hand capnp-es only the params/results content. Calls to imported caps
// and to promised answers, results, and the cap tables of both are handled here (envelope-caps.ts);
// anything unusual (far pointers, several segments, exceptions, thirdPartyHosted) takes the
// general capnp-es path.
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { type CapDesc, type PromisedTarget, capTableBytes, promisedAnswerBytes, readCapTableAt, readPromisedAnswer, writeCapTable, writePromisedAnswer } from './envelope-caps.js'
import { growSegment, singleSegmentMessage, viewOf } from './message.js'
import { Loc, bit, follow, followInto, isNullPtr, ptrAt, structPtr, u16, u32, u64 } from './layout.js'
import { makeStruct } from './struct.js'
import { takeCallBuffer } from './call-buffers.js'

type Segment = ReturnType<capnp.Message['getSegment']>

// Message union tags (rpc.capnp `Message`).
export const TAG_CALL = 2
export const TAG_RETURN = 3
export const TAG_FINISH = 4
export const TAG_RELEASE = 6

/** Where a Call goes: an export of the receiver, or a capability in one of its answers. */
export type CallTarget = { importedCap: number } | PromisedTarget

/**
 * Where the envelope fields of a Call or Return sit in segment 0 (byte offsets), for messages we
 * laid out and for received one-segment messages that readFast decoded (so a forwarded call or
 * forwarded results are rewritten in place, not through capnp-es). `data`, `dataBytes`: the
 * Call/Return data section (at least one word); `target`, `targetPtr`: the Call's MessageTarget
 * data word and its promisedAnswer pointer; `caps`: the payload's capTable pointer. A class, not
 * a literal: a received message keeps its layout, and see questions.ts on pretenuring.
 */
class Layout {
  constructor (readonly tag: typeof TAG_CALL | typeof TAG_RETURN, readonly data: number, readonly dataBytes: number, readonly target: number,
    readonly targetPtr: number, readonly caps: number) {}
}
const LAYOUT = Symbol('ww.layout')
type Marked = { [LAYOUT]?: Layout }
const layoutOf = (msg: capnp.Message): Layout | undefined => (msg as Marked)[LAYOUT]

// Call message, first segment (words): 0 root -> 1 Message{which} ; 2 -> 3..5 Call data,
// 6 target -> 9 MessageTarget{importedCap, which} (10: its promisedAnswer), 7 params -> 11 Payload
// {11 content, 12 capTable}, 8 sendResultsTo.thirdParty.
const CALL_BYTES = 13 * 8
const CALL_DATA = 3 * 8
const CALL_PARAMS_PTR = 7 * 8
const CALL_TARGET = 9 * 8

/** Byte offset of the params content pointer in a Call we laid out (Payload pointer 0). */
export const CALL_CONTENT_PTR = 11 * 8
const OWN_CALL = new Layout(TAG_CALL, CALL_DATA, 3 * 8, CALL_TARGET, CALL_TARGET + 8, CALL_CONTENT_PTR + 8)

/**
 * A new Call message with its envelope laid out and, when it fits, an empty `Params` struct as
 * the params content (`struct`; else fill `params` with capnp-es, e.g. initStructAt).
 */
export function newCallMessage<P extends capnp.Struct> (interfaceId: bigint, methodId: number, Params?: capnp.StructCtor<P>):
{ msg: capnp.Message, struct?: P } {
  const buf = takeCallBuffer() // room for small params after the envelope: most calls need no second allocation
  const dv = buf.dv
  const msg = buf.builtMessage()
  const seg = msg.getSegment(0)
  structPtr(dv, 0, 0, 1, 1)
  dv.setUint16(8, TAG_CALL, true)
  structPtr(dv, 16, 0, 3, 3)
  dv.setUint16(CALL_DATA + 4, methodId, true)
  dv.setBigUint64(CALL_DATA + 8, interfaceId, true)
  structPtr(dv, 48, 2, 1, 1)
  structPtr(dv, CALL_PARAMS_PTR, 3, 0, 2)
  seg.byteLength = CALL_BYTES
  ;(msg as Marked)[LAYOUT] = OWN_CALL
  const struct = Params === undefined ? undefined : layStruct(seg, dv, CALL_CONTENT_PTR, Params)
  return { msg, struct }
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
  if (words === 0) { dv.setUint32(ptrAt, 0xfffffffc, true); return emptyStruct(Ctor) } // empty struct: offset -1, never null
  structPtr(dv, ptrAt, (at - ptrAt - 8) >> 3, dataWords, size.pointerLength)
  seg.byteLength = at + words * 8
  return makeStruct(Ctor, seg, ptrAt)
}

/** On each struct class: its one empty instance (a property naming its class: a subclass sees its parent's statics). */
const EMPTY = Symbol('ww.emptyStruct')
type WithEmpty = { [EMPTY]?: { ctor: object, struct: capnp.Struct, resolved: Promise<capnp.Struct> | undefined } }

/**
 * The one instance of a struct type with no fields (e.g. the params of a method without
 * arguments): there is nothing to read or write through it, so every message shares it
 * (building one per call costs as much as a small call's envelope).
 */
export function emptyStruct<T extends capnp.Struct> (Ctor: capnp.StructCtor<T>): T {
  const mark = (Ctor as WithEmpty)[EMPTY]
  if (mark !== undefined && mark.ctor === Ctor) return mark.struct as T
  const struct = new capnp.Message().initRoot(Ctor)
  Object.defineProperty(Ctor, EMPTY, { value: { ctor: Ctor, struct, resolved: undefined } })
  return struct
}

/**
 * `Promise.resolve(struct)`; for the one empty struct of `Ctor`, one promise made once (the
 * results of every `-> ()` call: an awaited answer then costs no promise of its own).
 */
export function resolvedStruct<T extends capnp.Struct> (Ctor: capnp.StructCtor<T>, struct: T): Promise<T> {
  const mark = (Ctor as WithEmpty)[EMPTY]
  if (mark === undefined || mark.ctor !== Ctor || mark.struct !== struct) return Promise.resolve(struct)
  mark.resolved ??= Promise.resolve(struct)
  return mark.resolved as Promise<T>
}

/** Whether structs of `Ctor` hold nothing (no data, no pointers). */
export function isEmptyStruct (Ctor: capnp.StructCtor<capnp.Struct>): boolean {
  const size = Ctor._capnp.size
  return size !== undefined && size.dataByteLength === 0 && size.pointerLength === 0
}

/**
 * The struct a received message's pointer at `ptrAt` (segment 0) names, as `Ctor`, without
 * capnp-es's checks: only for a near struct pointer inside the segment, at least as large as
 * `Ctor` (so no field read falls outside it); undefined otherwise (use capnp-es getStruct).
 */
export function structAt<T extends capnp.Struct> (seg: Segment, ptrAt: number, Ctor: capnp.StructCtor<T>, depthLimit: number): T | undefined {
  const size = Ctor._capnp.size
  if (size === undefined || ptrAt < 0) return undefined
  const s = followInto(viewOf(seg), ptrAt, STRUCT_AT, seg.byteLength)
  if (s === undefined || s === null || s.dataBytes < size.dataByteLength || s.ptrCount < size.pointerLength) return undefined
  if (size.dataByteLength === 0 && size.pointerLength === 0) return emptyStruct(Ctor)
  return makeStruct(Ctor, seg, ptrAt, depthLimit)
}

/** structAt's scratch record (it is done with it before it returns). */
const STRUCT_AT = new Loc()

/** The params payload of a Call message (any layout). */
export function callParams (msg: capnp.Message): rpc.Payload {
  if (layoutOf(msg) === OWN_CALL) return new rpc.Payload(msg.getSegment(0), CALL_PARAMS_PTR)
  return new rpc.Message(msg.getSegment(0), 0).call.params
}

/** Call.onlyPromisePipeline: bit 130 of the data section (byte 16, bit 2). */
const ONLY_PIPELINE_BYTE = 16
const ONLY_PIPELINE_MASK = 1 << 2

/** Whether writeCallHeader can set onlyPromisePipeline in this Call (ours, or received with a data section that has the bit). */
export function canMarkOnlyPipeline (msg: capnp.Message): boolean {
  const l = layoutOf(msg)
  return l !== undefined && l.tag === TAG_CALL && l.dataBytes > ONLY_PIPELINE_BYTE
}

/**
 * Writes questionId, the target (an importedCap, or a promisedAnswer laid out at the end of the
 * segment), sendResultsTo and onlyPromisePipeline into a Call with a layout (ours or a received
 * one's: a forwarded call says what we mean, not what its sender meant); false if the message
 * has none (the caller then uses capnp-es).
 */
export function writeCallHeader (msg: capnp.Message, questionId: number, target: CallTarget, yourself: boolean, onlyPipeline = false): boolean {
  const l = layoutOf(msg)
  if (l === undefined || l.tag !== TAG_CALL) return false
  let answerAt = 0
  if ('questionId' in target) {
    answerAt = allocate(msg, promisedAnswerBytes(target.transform))
    if (answerAt < 0) return false
  }
  const dv = viewOf(msg.getSegment(0))
  dv.setUint32(l.data, questionId, true)
  dv.setUint16(l.data + 6, yourself ? 1 : 0, true)
  if (l.dataBytes > ONLY_PIPELINE_BYTE) {
    const flags = dv.getUint8(l.data + ONLY_PIPELINE_BYTE) & ~ONLY_PIPELINE_MASK
    dv.setUint8(l.data + ONLY_PIPELINE_BYTE, onlyPipeline ? flags | ONLY_PIPELINE_MASK : flags)
  }
  if ('questionId' in target) {
    dv.setUint32(l.target, 0, true)
    dv.setUint16(l.target + 4, 1, true)
    writePromisedAnswer(dv, l.targetPtr, answerAt, target)
  } else {
    dv.setUint32(l.target, target.importedCap, true)
    dv.setUint16(l.target + 4, 0, true)
    dv.setBigUint64(l.targetPtr, 0n, true)
  }
  return true
}

/**
 * Writes the cap table of a Call or Return we laid out (at the end of the segment); false for
 * any other layout (the caller then uses capnp-es).
 */
export function writeCapTableOf (msg: capnp.Message, descs: CapDesc[]): boolean {
  const l = layoutOf(msg)
  if (l === undefined) return false
  const ptr = l.caps
  if (descs.length === 0) {
    viewOf(msg.getSegment(0)).setBigUint64(ptr, 0n, true)
    return true
  }
  const at = allocate(msg, capTableBytes(descs))
  if (at < 0) return false
  writeCapTable(viewOf(msg.getSegment(0)), ptr, at, descs)
  return true
}

/**
 * Zeroed room for `bytes` (a multiple of 8) at the end of segment 0 of a message with a layout
 * (one segment: growing copies it into a larger buffer of its own); its byte offset.
 */
function allocate (msg: capnp.Message, bytes: number): number {
  const seg = msg.getSegment(0)
  if (!seg.hasCapacity(bytes)) growSegment(msg, seg.byteLength + bytes + GROW_SLACK_BYTES)
  const at = seg.byteLength
  seg.byteLength = at + bytes
  new Uint8Array(seg.buffer, at, bytes).fill(0)
  return at
}

/** Extra room given to a segment when it grows (a few cap descriptors), so it rarely grows twice. */
const GROW_SLACK_BYTES = 128

/** Turns a Call (any layout) into `sendResultsTo.yourself`. */
export function setCallYourself (msg: capnp.Message): void {
  const l = layoutOf(msg)
  if (l !== undefined && l.tag === TAG_CALL) viewOf(msg.getSegment(0)).setUint16(l.data + 6, 1, true)
  else new rpc.Message(msg.getSegment(0), 0).call.sendResultsTo.yourself = true
}

// Return message, first segment (words): 0 root -> 1 Message{which}; 2 -> 3..4 Return data,
// 5 results -> 6 Payload {6 content, 7 capTable}.
const RETURN_BYTES = 8 * 8
/** Byte offsets of the Return data section and of its results pointer, in a Return we laid out. */
export const RETURN_DATA = 3 * 8
export const RETURN_RESULTS_PTR = 5 * 8
const RETURN_BUFFER = 512

/** Byte offset of the results content pointer in a Return we laid out. */
export const RETURN_CONTENT_PTR = 6 * 8
const OWN_RETURN = new Layout(TAG_RETURN, RETURN_DATA, 2 * 8, -1, -1, RETURN_CONTENT_PTR + 8)

/**
 * A new Return message with `results` set and releaseParamCaps = false, and (when it fits) an
 * empty `Results` struct as its content (`struct`; else fill `payload` with capnp-es).
 */
export function newResultsMessage<R extends capnp.Struct> (Results?: capnp.StructCtor<R>): { msg: capnp.Message, payloadAt: number, struct?: R } {
  const msg = singleSegmentMessage(new ArrayBuffer(RETURN_BUFFER))
  const seg = msg.getSegment(0)
  const dv = viewOf(seg)
  structPtr(dv, 0, 0, 1, 1)
  dv.setUint16(8, TAG_RETURN, true)
  structPtr(dv, 16, 0, 2, 1)
  dv.setUint8(RETURN_DATA + 4, 1) // releaseParamCaps (default true) = false
  structPtr(dv, RETURN_RESULTS_PTR, 0, 0, 2)
  seg.byteLength = RETURN_BYTES
  ;(msg as Marked)[LAYOUT] = OWN_RETURN
  const struct = Results === undefined ? undefined : layStruct(seg, dv, RETURN_CONTENT_PTR, Results)
  return { msg, payloadAt: RETURN_RESULTS_PTR, struct }
}

/**
 * Sets answerId and noFinishNeeded of a Return with a layout (ours or a received one's), and
 * releaseParamCaps to false (a forwarded Return says what we mean, not what its sender meant);
 * false for any other message.
 */
export function writeReturnHeader (msg: capnp.Message, answerId: number, noFinishNeeded: boolean): boolean {
  const l = layoutOf(msg)
  if (l === undefined || l.tag !== TAG_RETURN) return false
  const dv = viewOf(msg.getSegment(0))
  dv.setUint32(l.data, answerId, true)
  // bit 32 releaseParamCaps (default true, so 1 is false), bit 33 noFinishNeeded
  dv.setUint8(l.data + 4, (dv.getUint8(l.data + 4) & ~3) | 1 | (noFinishNeeded ? 2 : 0))
  return true
}

/**
 * Records where a received message's envelope sits (from readFast), so it can be forwarded
 * with the writers above. Only when every field they write is there: a Call or Return data
 * section of one word or more, a MessageTarget of one data word and one pointer, a Payload
 * with its capTable pointer.
 */
export function adoptLayout (msg: capnp.Message, fast: FastCall | FastReturn): void {
  (msg as Marked)[LAYOUT] = fast.layout // also when undefined: a call buffer's message may have had one
}

/** Bytes of a Finish or Release frame (header + one 4-word segment). */
export const SMALL_FRAME_BYTES = 40

const FINISH_WORD = BigInt(TAG_FINISH)
const RELEASE_WORD = BigInt(TAG_RELEASE)

/** Writes a Finish frame at `at`. */
export function writeFinish (dv: DataView, at: number, questionId: number, releaseResultCaps: boolean): void {
  writeSmallFrame(dv, at, FINISH_WORD, questionId, releaseResultCaps ? 0 : 1) // releaseResultCaps defaults to true
}

/** Writes a Release frame at `at`. */
export function writeRelease (dv: DataView, at: number, id: number, referenceCount: number): void {
  writeSmallFrame(dv, at, RELEASE_WORD, id, referenceCount)
}

/** A one-segment Message whose union (tag `tagWord`) holds a struct of two UInt32 fields: Finish and Release. */
function writeSmallFrame (dv: DataView, at: number, tagWord: bigint, first: number, second: number): void {
  dv.setUint32(at, 0, true)
  dv.setUint32(at + 4, 4, true)
  structPtr(dv, at + 8, 0, 1, 1)
  dv.setBigUint64(at + 16, tagWord, true)
  structPtr(dv, at + 24, 0, 1, 0)
  dv.setUint32(at + 32, first, true)
  dv.setUint32(at + 36, second, true)
}

// --- reading -----------------------------------------------------------------------------------

const NO_CAPS: CapDesc[] = []

/**
 * A Call readFast decoded (a class, not a literal: see questions.ts on pretenuring). Given a
 * `FastScratch`, readFast fills that one object again for every message instead of a new one.
 */
export class FastCall {
  readonly tag = TAG_CALL
  questionId = 0
  interfaceId = 0n
  methodId = 0
  /** An export id (importedCap), or a promised answer. */
  target: number | PromisedTarget = 0
  sendResultsTo = 0
  /** Call.onlyPromisePipeline: the caller wants no Return, only to pipeline on the results. */
  onlyPipeline = false
  /** Byte offset (segment 0) of the params pointer, for a capnp-es Payload over it. */
  params = -1
  /** Byte offset of the params content pointer (-1: none). */
  contentPtr = -1
  caps: CapDesc[] = NO_CAPS
  /** Where the envelope sits, when it can be rewritten in place (see adoptLayout). */
  layout: Layout | undefined = undefined
}

/** A Return of results readFast decoded (reused like FastCall). */
export class FastReturn {
  readonly tag = TAG_RETURN
  answerId = 0
  releaseParamCaps = false
  /** The callee dropped its answer already: no Finish is to be sent. */
  noFinishNeeded = false
  /** Byte offset of the results pointer. */
  resultsPtr = -1
  /** Byte offset of the results content pointer (-1: none). */
  contentPtr = -1
  caps: CapDesc[] = NO_CAPS
  layout: Layout | undefined = undefined

  /** rpc.Return.which(): always `results` (the others take capnp-es's path). */
  readonly which = 0
  readonly exception = undefined
  readonly takeFromOtherQuestion = 0
}

/**
 * The records readFast fills when given one (a connection's receive: what it decodes is used up
 * before the next message is read), so a message costs no decoded object of its own.
 */
export class FastScratch {
  readonly call = new FastCall()
  readonly ret = new FastReturn()
}

export interface FastFinish { tag: typeof TAG_FINISH, questionId: number, releaseResultCaps: boolean }
export interface FastRelease { tag: typeof TAG_RELEASE, id: number, referenceCount: number }

/**
 * Decodes a Call (to an imported cap or a promised answer), a Return with results, a Finish or
 * a Release from one-segment messages (the segment, or a view of it: offsets are from its start);
 * undefined for anything else (decode it with capnp-es).
 */
export function readFast (segment: ArrayBuffer | DataView, scratch?: FastScratch): FastCall | FastReturn | FastFinish | FastRelease | undefined {
  if (segment.byteLength < 16) return undefined
  const dv = segment instanceof DataView ? segment : new DataView(segment)
  const root = followInto(dv, 0, ROOT)
  if (root === undefined || root === null || root.ptrCount < 1) return undefined
  const tag = u16(dv, root, 0)
  if (tag !== TAG_CALL && tag !== TAG_RETURN && tag !== TAG_FINISH && tag !== TAG_RELEASE) return undefined
  const body = followInto(dv, root.ptrs, BODY)
  if (body === undefined || body === null) return undefined
  if (tag === TAG_FINISH) return { tag, questionId: u32(dv, body, 0), releaseResultCaps: !bit(dv, body, 32) }
  if (tag === TAG_RELEASE) return { tag, id: u32(dv, body, 0), referenceCount: u32(dv, body, 4) }
  if (tag === TAG_CALL) {
    const sendResultsTo = u16(dv, body, 6)
    if (sendResultsTo > 1) return undefined
    const targetAt = ptrAt(body, 0)
    if (targetAt < 0) return undefined
    const t = followInto(dv, targetAt, TARGET)
    if (t === undefined || t === null) return undefined
    const kind = u16(dv, t, 4)
    let target: number | PromisedTarget | undefined
    if (kind === 0) target = u32(dv, t, 0)
    else if (kind === 1) target = readPromisedAnswer(dv, ptrAt(t, 0))
    if (target === undefined) return undefined
    const paramsPtr = ptrAt(body, 1)
    if (paramsPtr < 0) return undefined
    const p = payloadOf(dv, paramsPtr)
    if (p === undefined) return undefined
    const layout = body.dataBytes >= 8 && t.dataBytes >= 8 && t.ptrCount >= 1 && p.capsPtr >= 0
      ? callLayout(body.data, body.dataBytes, t.data, t.ptrs, p.capsPtr)
      : undefined
    const c = scratch?.call ?? new FastCall()
    c.questionId = u32(dv, body, 0)
    c.interfaceId = u64(dv, body, 8)
    c.methodId = u16(dv, body, 4)
    c.target = target
    c.sendResultsTo = sendResultsTo
    c.onlyPipeline = bit(dv, body, ONLY_PIPELINE_BYTE * 8 + 2)
    c.params = paramsPtr
    c.contentPtr = p.contentPtr
    c.caps = p.caps
    c.layout = layout
    return c
  }
  if (u16(dv, body, 6) !== 0) return undefined // not `results`
  const resultsPtr = ptrAt(body, 0)
  if (resultsPtr < 0) return undefined
  const p = payloadOf(dv, resultsPtr)
  if (p === undefined) return undefined
  const r = scratch?.ret ?? new FastReturn()
  r.answerId = u32(dv, body, 0)
  r.releaseParamCaps = !bit(dv, body, 32)
  r.noFinishNeeded = bit(dv, body, 33)
  r.resultsPtr = resultsPtr
  r.contentPtr = p.contentPtr
  r.caps = p.caps
  r.layout = body.dataBytes >= 8 && p.capsPtr >= 0 ? returnLayout(body.data, body.dataBytes, p.capsPtr) : undefined
  return r
}

/** A received Call's layout: ours (what a peer running this code sends) when it is the same, else a new one. */
function callLayout (data: number, dataBytes: number, target: number, targetPtr: number, caps: number): Layout {
  const o = OWN_CALL
  return data === o.data && dataBytes === o.dataBytes && target === o.target && targetPtr === o.targetPtr && caps === o.caps
    ? o
    : new Layout(TAG_CALL, data, dataBytes, target, targetPtr, caps)
}

/** A received Return's layout, likewise. */
function returnLayout (data: number, dataBytes: number, caps: number): Layout {
  const o = OWN_RETURN
  return data === o.data && dataBytes === o.dataBytes && caps === o.caps ? o : new Layout(TAG_RETURN, data, dataBytes, -1, -1, caps)
}

/** Where a Payload's content and cap table are, and its cap table read (one, reused: see readFast). */
class PayloadRead {
  contentPtr = -1
  capsPtr = -1
  caps: CapDesc[] = NO_CAPS
}

// readFast's scratch records, reused from one message to the next (it runs to the end before it returns).
const ROOT = new Loc()
const BODY = new Loc()
const TARGET = new Loc()
const PAYLOAD = new Loc()
const PAYLOAD_READ = new PayloadRead()

/**
 * For the Payload at `at`: the byte offset of its content pointer (-1 if it has none) and its
 * cap table, when it is a near struct with a cap table we can read; undefined otherwise.
 */
function payloadOf (dv: DataView, at: number): PayloadRead | undefined {
  const p = followInto(dv, at, PAYLOAD)
  if (p === undefined || p === null) return undefined
  const capsAt = ptrAt(p, 1)
  const caps = isNullPtr(dv, capsAt) ? NO_CAPS : readCapTableAt(dv, capsAt)
  if (caps === undefined) return undefined
  PAYLOAD_READ.contentPtr = ptrAt(p, 0)
  PAYLOAD_READ.capsPtr = capsAt
  PAYLOAD_READ.caps = caps
  return PAYLOAD_READ
}


/**
 * Walks a pipeline transform from the Payload pointer at `payloadAt` straight over the bytes: the capability index it ends on, null where capnp-es
 * would find a null pointer or a missing field, undefined for anything else (far pointers,
 * non-struct pointers...: capnp-es then decides, and reports errors).
 */
export function capIndexAt (seg: Segment, payloadAt: number, transform: number[]): number | null | undefined {
  const dv = new DataView(seg.buffer, 0, seg.byteLength)
  const p = follow(dv, payloadAt)
  if (p === undefined || p === null) return undefined
  let at = ptrAt(p, 0)
  for (const index of transform) {
    if (at < 0) return null
    const s = follow(dv, at)
    if (s === null) return null
    if (s === undefined) return undefined
    at = ptrAt(s, index)
  }
  if (isNullPtr(dv, at)) return null
  const lo = dv.getUint32(at, true)
  return lo === 3 ? dv.getUint32(at + 4, true) : undefined
}

/**
 * A copy of a one-segment Call or Return with a layout (the same layout, its own buffer, the same
 * cap table array); undefined for any other message.
 */
export function copyLaidOut (msg: capnp.Message): capnp.Message | undefined {
  const l = layoutOf(msg)
  if (l === undefined || msg._capnp.segments.length !== 1) return undefined
  const seg = msg.getSegment(0)
  const buffer = new ArrayBuffer(seg.byteLength)
  new Uint8Array(buffer).set(new Uint8Array(seg.buffer, 0, seg.byteLength))
  const out = singleSegmentMessage(buffer)
  ;(out as Marked)[LAYOUT] = l
  return out
}
