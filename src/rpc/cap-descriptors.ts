// Cap tables in and out: the CapDescriptor for each capability we send (exporting it, or naming
// what the peer hosts) and the capability for each descriptor we receive (importing it, or finding
// ours). This is where the exports and imports tables gain references.
import type * as capnp from 'capnp-es'
import type * as rpc from 'capnp-es/capnp/rpc'
import { InvalidArgument } from '../errors.js'
import { type CapHook, type CapTable, ErrorHook, releaseAll } from './hooks.js'
import { CAP_NONE, CAP_RECEIVER_ANSWER, CAP_RECEIVER_HOSTED, CAP_SENDER_HOSTED, CAP_SENDER_PROMISE, CAP_THIRD_PARTY_HOSTED, type CapDesc } from './wire/envelope-caps.js'
import { writeCapTableOf } from './wire/envelope.js'
import { writeDesc } from './rpc-structs.js'
import { type PeerCalls, peerTargetOf } from './peer-hooks.js'
import type { ExportEntry, ExportTable } from './exports.js'
import type { ImportTable } from './imports.js'
import type { AnswerTable } from './answers.js'
import { ProtocolError } from './protocol-error.js'
import { writeException } from './exception.js'

/** What describing and reading capabilities needs of a connection (its Session). */
export interface Session extends PeerCalls {
  readonly done: boolean
  readonly exports: ExportTable
  readonly imports: ImportTable
  readonly answers: AnswerTable
  /** Run after the next message is queued. */
  readonly afterSend: Array<() => void>
  newMessage: () => { msg: capnp.Message, root: rpc.Message }
  readonly outbox: { lazyMessage: (msg: capnp.Message) => void }
}

/**
 * Writes the cap table of msg's payload (hand-laid when `fast` and msg has our layout, else with
 * capnp-es on payload()); returns the export ids it referenced (for releaseParamCaps/releaseResultCaps).
 */
export function writeCapTable (s: Session, msg: capnp.Message, caps: CapTable, payload: (msg: capnp.Message) => rpc.Payload, fast = true): number[] {
  const exported: number[] = []
  const descs = new Array<CapDesc>(caps.length)
  for (let i = 0; i < caps.length; i++) descs[i] = describe(s, caps[i], exported)
  if (fast && writeCapTableOf(msg, descs)) return exported
  const list = payload(msg)._initCapTable(descs.length)
  for (let i = 0; i < descs.length; i++) writeDesc(list.get(i), descs[i])
  return exported
}

/** The descriptor for sending `hook` to the peer (exporting it if needed; its id goes to `exported`). */
export function describe (s: Session, hook: CapHook | null, exported: number[]): CapDesc {
  if (hook === null) return { kind: CAP_NONE, id: 0 }
  const h = hook.resolved()
  const there = peerTargetOf(h, s)
  if (there !== undefined) {
    return 'importedCap' in there ? { kind: CAP_RECEIVER_HOSTED, id: there.importedCap } : { kind: CAP_RECEIVER_ANSWER, id: 0, answer: there }
  }
  const existing = s.exports.idOf(h)
  if (existing !== undefined) {
    s.exports.get(existing)!.refs++
    exported.push(existing)
    return { kind: h.onResolve === undefined || h instanceof ErrorHook ? CAP_SENDER_HOSTED : CAP_SENDER_PROMISE, id: existing }
  }
  const { id, entry } = s.exports.add(h)
  exported.push(id)
  if (h instanceof ErrorHook) {
    s.afterSend.push(() => { sendResolve(s, id, h) })
    return { kind: CAP_SENDER_PROMISE, id }
  }
  const pending = h.onResolve?.((t) => { exportResolved(s, id, entry, t) }) ?? false
  return { kind: pending ? CAP_SENDER_PROMISE : CAP_SENDER_HOSTED, id }
}

/**
 * The promise exported as `id` (entry `e`) resolved to `target`. When that is another promise not
 * of this connection (say a pipelined cap on the link to a third host), the entry now stands for
 * it and nothing is sent: the peer's calls on the promise still reach it, and the peer hears one
 * Resolve, at the end (what the C++ implementation does). Otherwise the peer gets a Resolve now.
 */
function exportResolved (s: Session, id: number, e: ExportEntry, target: CapHook): void {
  if (s.done || s.exports.get(id) !== e) return // released meanwhile (the id may be reused)
  const t = target.resolved()
  if (peerTargetOf(t, s) === undefined && s.exports.idOf(t) === undefined && t.onResolve?.((next) => { exportResolved(s, id, e, next) }) === true) {
    s.exports.retarget(id, e, t)
    return
  }
  sendResolve(s, id, target)
}

function sendResolve (s: Session, id: number, target: CapHook): void {
  if (s.done || s.exports.get(id) === undefined) return
  const { msg, root } = s.newMessage()
  const r = root._initResolve()
  r.promiseId = id
  const t = target.resolved()
  if (t instanceof ErrorHook) writeException(r._initException(), t.error)
  else writeDesc(r._initCap(), describe(s, t, []))
  // Lazy: it rides along with the next message, usually the Returns of calls made on the
  // promise, which settle a few promise hops after it (one write for both, not two).
  s.outbox.lazyMessage(msg)
}

/** The capabilities a received cap table names (references of their own; none left if one is bad). */
export function readCapTable (s: Session, descs: CapDesc[]): CapTable {
  const caps: CapTable = new Array(descs.length)
  try {
    for (let i = 0; i < descs.length; i++) caps[i] = readDescriptor(s, descs[i])
  } catch (err) {
    releaseAll(caps)
    throw err
  }
  return caps
}

export function readDescriptor (s: Session, d: CapDesc): CapHook | null {
  switch (d.kind) {
    case CAP_NONE: return null
    case CAP_SENDER_HOSTED: return s.imports.take(d.id, false)
    case CAP_SENDER_PROMISE: return s.imports.take(d.id, true)
    case CAP_RECEIVER_HOSTED: return exportedHook(s, d.id)
    case CAP_RECEIVER_ANSWER: return answerCap(s, d.answer!.questionId, d.answer!.transform)
    case CAP_THIRD_PARTY_HOSTED: return s.imports.take(d.id, false)
    default: throw new ProtocolError(`unknown CapDescriptor kind ${d.kind}`)
  }
}

/** A new reference to our export `id` (the peer names it: receiverHosted, a call's target). */
export function exportedHook (s: Session, id: number): CapHook {
  const e = s.exports.get(id)
  if (e === undefined) throw new ProtocolError(`unknown export ${id}`)
  return e.hook.addRef()
}

/** The capability at `transform` in our answer `questionId` (the peer names it: receiverAnswer, promisedAnswer). */
export function answerCap (s: Session, questionId: number, transform: number[]): CapHook {
  const a = s.answers.get(questionId)
  if (a === undefined) return goneAnswer(questionId)
  return a.answer.pipeline(transform)
}

/**
 * A capability in an answer that is not (or no longer) in the table: broken, not a protocol
 * error. A Return with noFinishNeeded drops its answer while the caller may still pipeline on it;
 * its results hold no capabilities, so such a call fails either way.
 */
function goneAnswer (id: number): CapHook {
  return new ErrorHook(new InvalidArgument(`answer ${id} is not current (it returned no capabilities, or never was)`))
}
