// The parts of the rpc.capnp envelope that pipelining and capabilities add: PromisedAnswer
// (a question id and a transform of getPointerField ops) and Payload.capTable (CapDescriptors),
// read and written straight from/to the bytes. Layouts (rpc.capnp):
//   PromisedAnswer: 1 data word {questionId u32 @0}, 1 pointer {transform: List(Op)}
//   Op:             1 data word {which u16 @0 (0 noop, 1 getPointerField), getPointerField u16 @2}
//   CapDescriptor:  1 data word {which u16 @0, attachedFd u8 @2 (stored xor 255), id u32 @4},
//                   1 pointer {receiverAnswer: PromisedAnswer, thirdPartyHosted}
import { type ListLoc, compositeListPtr, follow, followStructList, ptrAt, structPtr, u32 } from './layout.js'

/** A question's answer, or a capability in it (MessageTarget.promisedAnswer, CapDescriptor.receiverAnswer). */
export interface PromisedTarget { questionId: number, transform: number[] }

// CapDescriptor union tags.
export const CAP_NONE = 0
export const CAP_SENDER_HOSTED = 1
export const CAP_SENDER_PROMISE = 2
export const CAP_RECEIVER_HOSTED = 3
export const CAP_RECEIVER_ANSWER = 4
export const CAP_THIRD_PARTY_HOSTED = 5

/** One CapDescriptor: `id` is the export/import id (the vine id for thirdPartyHosted); `answer` for receiverAnswer. */
export interface CapDesc { kind: number, id: number, answer?: PromisedTarget }

/** Bytes a PromisedAnswer with this transform takes (struct + op list). */
export function promisedAnswerBytes (transform: number[]): number {
  return 16 + (transform.length > 0 ? 8 + 8 * transform.length : 0)
}

/** Lays out a PromisedAnswer at `at` (promisedAnswerBytes of zeroed room) and points `ptr` to it. */
export function writePromisedAnswer (dv: DataView, ptr: number, at: number, t: PromisedTarget): void {
  structPtr(dv, ptr, (at - ptr - 8) >> 3, 1, 1)
  dv.setUint32(at, t.questionId, true)
  dv.setUint32(at + 4, 0, true)
  const n = t.transform.length
  if (n === 0) { dv.setUint32(at + 8, 0, true); dv.setUint32(at + 12, 0, true); return }
  compositeListPtr(dv, at + 8, at + 16, n, 1, 0)
  for (let i = 0; i < n; i++) {
    const op = at + 24 + i * 8
    dv.setUint16(op, 1, true)
    dv.setUint16(op + 2, t.transform[i], true)
    dv.setUint32(op + 4, 0, true)
  }
}

/** Bytes a cap table of these descriptors takes (list + receiverAnswer structs). */
export function capTableBytes (descs: CapDesc[]): number {
  let n = 8 + 16 * descs.length
  for (const d of descs) if (d.answer !== undefined) n += promisedAnswerBytes(d.answer.transform)
  return n
}

/** Lays out a cap table at `at` (capTableBytes of zeroed room) and points `ptr` to it. */
export function writeCapTable (dv: DataView, ptr: number, at: number, descs: CapDesc[]): void {
  const n = descs.length
  compositeListPtr(dv, ptr, at, n, 1, 1)
  let extra = at + 8 + 16 * n
  for (let i = 0; i < n; i++) {
    const e = at + 8 + 16 * i
    const d = descs[i]
    dv.setUint32(e, d.kind, true) // which; attachedFd stored as 0 = its default 255
    dv.setUint32(e + 4, d.kind === CAP_NONE || d.kind === CAP_RECEIVER_ANSWER ? 0 : d.id, true)
    if (d.kind === CAP_RECEIVER_ANSWER && d.answer !== undefined) {
      writePromisedAnswer(dv, e + 8, extra, d.answer)
      extra += promisedAnswerBytes(d.answer.transform)
    } else {
      dv.setUint32(e + 8, 0, true)
      dv.setUint32(e + 12, 0, true)
    }
  }
}

/** The getPointerField indices of the op list at `at` (noops skipped); undefined for an unusual list. */
export function readTransformAt (dv: DataView, at: number): number[] | undefined {
  if (at < 0) return []
  const list = followStructList(dv, at)
  if (list === null) return []
  if (list === undefined) return undefined
  const out: number[] = []
  for (let i = 0, e = list.first; i < list.count; i++, e += list.stride) {
    if (dv.getUint16(e, true) === 1) out.push(dv.getUint16(e + 2, true))
  }
  return out
}

/** The PromisedAnswer the struct pointer at `at` names; undefined when unusual (null included). */
export function readPromisedAnswer (dv: DataView, at: number): PromisedTarget | undefined {
  const s = follow(dv, at)
  if (s === undefined || s === null) return undefined
  const transform = readTransformAt(dv, ptrAt(s, 0))
  if (transform === undefined) return undefined
  return { questionId: u32(dv, s, 0), transform }
}

/**
 * The descriptors of the cap table the list pointer at `at` names ([] for null); undefined for
 * anything unusual (thirdPartyHosted, unknown kinds, odd encodings): capnp-es then reads it.
 */
export function readCapTableAt (dv: DataView, at: number): CapDesc[] | undefined {
  if (at < 0) return []
  const list = followStructList(dv, at)
  if (list === null) return []
  if (list === undefined) return undefined
  const out = new Array<CapDesc>(list.count)
  for (let i = 0, e = list.first; i < list.count; i++, e += list.stride) {
    const d = readDesc(dv, list, e)
    if (d === undefined) return undefined
    out[i] = d
  }
  return out
}

function readDesc (dv: DataView, list: ListLoc, e: number): CapDesc | undefined {
  const kind = dv.getUint16(e, true)
  if (kind < CAP_RECEIVER_ANSWER) return { kind, id: kind === CAP_NONE ? 0 : dv.getUint32(e + 4, true) }
  if (kind !== CAP_RECEIVER_ANSWER || list.ptrCount < 1) return undefined
  const answer = readPromisedAnswer(dv, e + list.dataBytes)
  return answer === undefined ? undefined : { kind, id: 0, answer }
}
