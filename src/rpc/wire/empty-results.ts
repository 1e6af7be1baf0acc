// Results with nothing in them (a method declared `-> ()`, such as a channel's send): one Return
// message stands for all of them, so neither side makes a buffer per call. Nothing writes to it:
// each answer leaves as a frame of its own (writeEmptyReturn), its cap table is frozen empty, and
// a reader that expects fields gets a fresh default struct instead (defaultResults).
import * as capnp from 'capnp-es'
import { RETURN_CONTENT_PTR, RETURN_DATA, RETURN_RESULTS_PTR, newResultsMessage } from './envelope.js'
import { receivedMessage } from './message.js'

/** The cap table of empty results: frozen, so nothing can add to it. */
export const EMPTY_CAP_TABLE = Object.freeze([]) as unknown as never[]

function build (): { msg: capnp.Message, bytes: Uint8Array } {
  const { msg: laid } = newResultsMessage()
  const seg = laid.getSegment(0)
  const bytes = new Uint8Array(seg.buffer, 0, seg.byteLength).slice()
  new DataView(bytes.buffer).setUint32(RETURN_CONTENT_PTR, 0xfffffffc, true) // an empty struct (offset -1: not null)
  const msg = receivedMessage([bytes.slice().buffer], Infinity) // read-only; makeStruct's traversal accounting never runs out
  Object.defineProperty(msg._capnp, 'capTable', { get: () => EMPTY_CAP_TABLE, set: () => {} })
  return { msg, bytes }
}

const EMPTY = build()
const EMPTY_WORDS = Array.from({ length: EMPTY.bytes.byteLength / 4 }, (_, i) => new DataView(EMPTY.bytes.buffer).getUint32(4 * i, true))

/** The Return message of every empty result; its results payload pointer is at RETURN_RESULTS_PTR. */
export const EMPTY_RESULTS = EMPTY.msg
export const EMPTY_RESULTS_AT = RETURN_RESULTS_PTR
export const EMPTY_CONTENT_AT = RETURN_CONTENT_PTR

export { isEmptyStruct } from './envelope.js'

/** Bytes of a framed empty-results Return (writeEmptyReturn). */
export const EMPTY_RETURN_FRAME_BYTES = 8 + EMPTY.bytes.byteLength

/** Writes a framed Return of empty results to question `answerId` at `at`. */
export function writeEmptyReturn (_dst: Uint8Array, dv: DataView, at: number, answerId: number, noFinishNeeded: boolean): void {
  dv.setUint32(at, 0, true)
  dv.setUint32(at + 4, EMPTY.bytes.byteLength / 8, true)
  // word by word: a typed-array copy of these 64 bytes costs more than the stores
  for (let i = 0; i < EMPTY_WORDS.length; i++) dv.setUint32(at + 8 + 4 * i, EMPTY_WORDS[i], true)
  dv.setUint32(at + 8 + RETURN_DATA, answerId, true)
  dv.setUint8(at + 8 + RETURN_DATA + 4, 1 | (noFinishNeeded ? 2 : 0)) // releaseParamCaps false; noFinishNeeded
}

/** Whether the pointer at `at` (-1: absent) of a received segment is null or a struct with no data and no pointers. */
export function isEmptyContent (segment: ArrayBuffer | DataView, at: number): boolean {
  if (at < 0) return true
  const dv = segment instanceof DataView ? segment : new DataView(segment)
  return dv.getUint32(at + 4, true) === 0 && (dv.getUint32(at, true) & 3) === 0
}

/** Results of type `Ctor` read from the shared empty message: all defaults, in a message of their own. */
export function defaultResults<R extends capnp.Struct> (Ctor: capnp.StructCtor<R>): R {
  return new capnp.Message().initRoot(Ctor)
}
