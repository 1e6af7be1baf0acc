// One two-party level-1 RPC connection over a MessageTransport: its lifecycle (start, Bootstrap, Abort, close) and
// the dispatch of what arrives, one decoded form per message kind (decoded.ts) and one handler each. The four tables:
// questions.ts, answers.ts, exports.ts, imports.ts (with embargoes.ts); sending: session.ts, replies.ts, cap-descriptors.ts.
import './wire/list-reads.js' // every list read is bounded (see there)
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { logger } from '../log.js'
import { Canceled, Disconnected, InvalidArgument, LimitExceeded, Unimplemented, reasonOf } from '../errors.js'
import { ownSegment, type Received } from '../transport/framing.js'
import type { MessageTransport } from '../transport/transport.js'
import { FrameBudget } from '../transport/frame-budget.js'
import { observeCall, type CallObserver } from './call-observer.js'
import { type RpcLimits, resolveLimits } from './limits.js'
import { type CapHook, type CapTable, EMPTY_RESPONSE, ErrorHook, type OutCall, Response, capTableOf, chainAnswer, followTransform, releaseAll, releaseCaps, setCapTable } from './hooks.js'
import type { Capability, ClientClass } from './capability.js'
import { errorFromException } from './exception.js'
import { receivedMessage } from './wire/message.js'
import { receivedCall } from './wire/call-buffers.js'
import { readerLimitError } from './wire/reader-limits.js'
import { type CallTarget, FastScratch, TAG_CALL, TAG_FINISH, TAG_RELEASE, TAG_RETURN, adoptLayout, readFast } from './wire/envelope.js'
import { EMPTY_CAP_TABLE, EMPTY_RESULTS, isEmptyContent } from './wire/empty-results.js'
import { peerHosted } from './peer-hooks.js'
import { LocalHook } from './server.js'
import { ProtocolError } from './protocol-error.js'
import { descOf, writeTarget } from './rpc-structs.js'
import { type AnswerEntry, dropAnswer } from './answers.js'
import { NO_EXPORTS } from './exports.js'
import type { Question } from './questions.js'
import { Session } from './session.js'
import { answerCap, exportedHook, readCapTable, readDescriptor } from './cap-descriptors.js'
import { holdForPipelining, replyWhenSettled, sendReturn } from './replies.js'
import { type CallInfo, type FinishInfo, type ReleaseInfo, type ReturnInfo, callInfo, returnInfo, targetOf } from './decoded.js'
import { ReceivedCall } from './received-call.js'

const log = logger('ww:rpc')

export interface ConnectionOptions {
  /** The capability the peer gets from Bootstrap (the connection keeps its own reference). */
  bootstrap?: Capability
  limits?: Partial<RpcLimits>
  name?: string
  observer?: CallObserver // told of each call the peer makes here, and of each that fails (metrics: keep it cheap)
}

export class Connection {
  readonly #s: Session

  constructor (transport: MessageTransport, options: ConnectionOptions = {}) {
    const limits = resolveLimits(options.limits)
    const s = this.#s = new Session(transport, limits, options.name ?? 'conn', options.bootstrap?.hook.addRef(), options.observer)
    transport.start({
      message: (segments) => { receive(s, segments) },
      segment: (view) => { receive(s, view) },
      closed: (err) => { s.shutdown(err ?? new Disconnected('connection closed')) }
    }, { ...limits, budget: FrameBudget.shared(limits.incompleteFramesBytes) })
  }

  get limits (): RpcLimits { return this.#s.limits }
  /** Resolves (never rejects) when the connection is gone; `error` then says why. */
  get closed (): Promise<void> { return this.#s.closed }
  get error (): Error | undefined { return this.#s.error }

  /** The peer's bootstrap capability (owned; pipelined until the answer arrives). */
  bootstrap<C extends Capability>(Client: ClientClass<C>): C {
    const s = this.#s
    if (s.done) return new Client(new ErrorHook(s.error ?? new Disconnected('connection closed')))
    const { msg, root } = s.newMessage()
    const b = root._initBootstrap()
    const q = s.newQuestion()
    b.questionId = q.id
    s.send(msg)
    const hook = q.answer.pipeline([])
    q.answer.promise.then((r) => { r.release() }, () => {})
    return new Client(hook)
  }

  /** Sends Abort, then closes: pending calls reject with Disconnected, imports break, exports are released. */
  close (reason = 'connection closed by this side'): void {
    if (this.#s.done) return
    this.#s.abort(new Disconnected(reason))
  }

  /** Entries in each table (for tests and diagnostics). */
  get stats (): { questions: number, answers: number, imports: number, exports: number, embargoes: number } {
    const s = this.#s
    return { questions: s.questions.size, answers: s.answers.size, imports: s.imports.size, exports: s.exports.size, embargoes: s.embargoes.size }
  }
}

// --- dispatch ------------------------------------------------------------------------------------

/**
 * What readFast decodes a Call or Return into, again for every message: a handler copies out what it
 * keeps before it runs anything (a message is received only from an I/O callback or a microtask,
 * never while another one is being handled).
 */
const SCRATCH = new FastScratch()

/** A received message: its segments, or a view of its only segment valid during this call (Finish and Release are read from it, not copied). */
function receive (s: Session, received: Received): void {
  if (s.done) return
  try {
    const one = received instanceof DataView ? received : received.length === 1 ? received[0] : undefined
    const fast = one === undefined ? undefined : readFast(one, SCRATCH)
    if (fast !== undefined) {
      if (fast.tag === TAG_FINISH) { onFinish(s, fast); return }
      if (fast.tag === TAG_RELEASE) { onRelease(s, fast); return }
      // Results that hold nothing are read from the shared empty message, not copied.
      if (fast.tag === TAG_RETURN && fast.caps.length === 0 && isEmptyContent(one!, fast.contentPtr)) { onReturn(s, EMPTY_RESULTS, fast); return }
    }
    const limit = s.limits.traversalLimitWords * 8
    const msg = (fast?.tag === TAG_CALL && received instanceof DataView ? receivedCall(received, limit) : undefined) ??
      receivedMessage(received instanceof DataView ? [ownSegment(received)] : received, limit)
    if (fast !== undefined) {
      adoptLayout(msg, fast)
      if (fast.tag === TAG_CALL) onCall(s, msg, fast)
      else onReturn(s, msg, fast)
      return
    }
    const root = new rpc.Message(msg.getSegment(0), 0, s.limits.nestingDepth)
    capnp.utils.validate(capnp.PointerType.STRUCT, root)
    dispatch(s, msg, root)
  } catch (err) {
    if (s.done) return
    const limited = readerLimitError(err)
    const e = limited instanceof LimitExceeded ? limited : new InvalidArgument(`malformed message: ${reasonOf(err)}`)
    log('%s: aborting: %s', s.name, e.message)
    s.abort(e)
  }
}

/** A message the fast reader declined, read by capnp-es. */
function dispatch (s: Session, msg: capnp.Message, root: rpc.Message): void {
  switch (root.which()) {
    case rpc.Message.CALL: onCall(s, msg, callInfo(root.call)); break
    case rpc.Message.RETURN: onReturn(s, msg, returnInfo(root.return)); break
    case rpc.Message.FINISH: onFinish(s, root.finish); break
    case rpc.Message.RELEASE: onRelease(s, root.release); break
    case rpc.Message.RESOLVE: onResolve(s, root.resolve); break
    case rpc.Message.DISEMBARGO: onDisembargo(s, root.disembargo); break
    case rpc.Message.BOOTSTRAP: onBootstrap(s, root.bootstrap.questionId); break
    case rpc.Message.ABORT: onAbort(s, root.abort); break
    case rpc.Message.UNIMPLEMENTED: onUnimplemented(s, root.unimplemented); break
    default: {
      const { msg: out, root: r } = s.newMessage()
      r.unimplemented = root
      s.send(out)
    }
  }
}

// --- handlers --------------------------------------------------------------------------------------

function onBootstrap (s: Session, id: number): void {
  const entry = s.answers.add(id)
  if (s.bootstrapHook === undefined) {
    entry.answer.reject(new Unimplemented('this peer offers no bootstrap capability'))
  } else {
    const msg = new capnp.Message()
    const ret = msg.initRoot(rpc.Message)._initReturn()
    ret.releaseParamCaps = false
    const payload = ret._initResults()
    capTableOf(msg).push(s.bootstrapHook.addRef())
    capnp.utils.setInterfacePointer(0, capnp.utils.getPointer(0, payload))
    entry.answer.resolve(new Response(msg, payload))
  }
  replyWhenSettled(s, id, entry)
}

/** The capability a call or Disembargo names: our export, or a capability in one of our answers. */
function targetHook (s: Session, t: number | { questionId: number, transform: number[] }): CapHook {
  return typeof t === 'number' ? exportedHook(s, t) : answerCap(s, t.questionId, t.transform)
}

function onCall (s: Session, msg: capnp.Message, call: CallInfo): void {
  const id = call.questionId
  const redirect = call.sendResultsTo
  const onlyPipeline = call.onlyPipeline
  const target = targetHook(s, call.target)
  let caps: CapTable
  try {
    caps = readCapTable(s, call.caps)
  } catch (err) { target.release(); throw err }
  setCapTable(msg, caps)
  let entry: AnswerEntry
  try { entry = s.answers.add(id) } catch (err) { target.release(); releaseCaps(msg); throw err }
  if (s.observer !== undefined) observeCall(s.observer, entry, call.interfaceId, call.methodId)
  const c = new ReceivedCall(call.interfaceId, call.methodId, msg, s, id, call.onlyPipeline)
  if (typeof call.params === 'number') { c.paramsAt = call.params; c.depth = s.payloadDepth } else c.params = call.params
  if (call.contentPtr !== undefined && call.contentPtr >= 0) c.contentPtr = call.contentPtr
  if (redirect === rpc.Call_SendResultsTo.THIRD_PARTY) {
    releaseCaps(msg)
    target.release()
    entry.answer.reject(new Unimplemented('three-party handoff is not supported (level 1 only)'))
    replyWhenSettled(s, id, entry)
    return
  }
  const back = redirect === rpc.Call_SendResultsTo.CALLER ? peerHosted(target, s) : undefined
  if (back !== undefined) {
    // The call comes straight back to the peer: reflect it as a tail call.
    back.countCall()
    const inner = s.sendCall(c, back.peerTarget(s)!, true)
    target.release()
    chainAnswer(inner, entry.answer)
    entry.returnSent = true
    s.sendTakeFrom(id, s.lastQuestionId)
    entry.answer.promise.then((r) => { entry.response = r }, () => {})
    return
  }
  const h = target.resolved()
  if (h instanceof LocalHook) h.callInto(c, entry.answer)
  else chainAnswer(target.call(c), entry.answer)
  target.release()
  if (redirect === rpc.Call_SendResultsTo.YOURSELF) {
    entry.answer.promise.then((r) => { entry.response = r; sendReturn(s, id, entry, 'elsewhere') },
      (err) => { sendReturn(s, id, entry, err) })
    return
  }
  if (onlyPipeline) holdForPipelining(s, id, entry)
  else replyWhenSettled(s, id, entry)
}

function onFinish (s: Session, f: FinishInfo): void {
  const id = f.questionId
  const entry = s.answers.get(id)
  // The answer may be gone with a Return that said noFinishNeeded: a Finish for it is ignored.
  if (entry === undefined) return
  s.answers.delete(id)
  if (!entry.returnSent) {
    entry.answer.cancel()
    if (!entry.pipelineOnly) sendReturn(s, id, entry, new Canceled('canceled'))
  }
  if (f.releaseResultCaps) {
    const ids = entry.resultExports
    entry.resultExports = NO_EXPORTS
    s.exports.releaseEach(ids)
  }
  if (entry.returnSent || entry.pipelineOnly) dropAnswer(entry)
}

function onRelease (s: Session, r: ReleaseInfo): void { s.exports.release(r.id, r.referenceCount) }

/** A Return; `msg` is EMPTY_RESULTS for results that hold nothing (read from the shared message). */
function onReturn (s: Session, msg: capnp.Message, ret: ReturnInfo): void {
  const id = ret.answerId
  const q = takeQuestion(s, id, ret.releaseParamCaps, ret.noFinishNeeded)
  const caps = msg === EMPTY_RESULTS ? EMPTY_CAP_TABLE : readCapTable(s, ret.caps)
  if (q === undefined) { releaseAll(caps); return }
  switch (ret.which) {
    case rpc.Return.RESULTS: {
      let r = EMPTY_RESPONSE
      if (msg !== EMPTY_RESULTS) {
        setCapTable(msg, caps)
        r = new Response(msg, ret.resultsPtr, s.payloadDepth)
        if (ret.contentPtr >= 0) r.contentPtr = ret.contentPtr
      }
      if (q.pipelines !== undefined) embargoPipelines(s, id, q, r)
      q.answer.resolve(r)
      finishQuestion(s, id, q)
      return
    }
    case rpc.Return.TAKE_FROM_OTHER_QUESTION: {
      const other = s.answers.get(ret.takeFromOtherQuestion)
      if (other === undefined) throw new ProtocolError(`takeFromOtherQuestion names unknown answer ${ret.takeFromOtherQuestion}`)
      other.answer.promise.then((r) => {
        const mine = r.retain()
        embargoPipelines(s, id, q, mine)
        q.answer.resolve(mine)
        finishQuestion(s, id, q)
      }, (err) => { q.answer.reject(err); finishQuestion(s, id, q) })
      return
    }
    case rpc.Return.EXCEPTION: q.answer.reject(errorFromException(ret.exception!.type, ret.exception!.reason)); break
    case rpc.Return.CANCELED: q.answer.reject(new Canceled('call canceled')); break
    case rpc.Return.RESULTS_SENT_ELSEWHERE: q.answer.reject(new Canceled('results sent elsewhere (tail call)')); break
    default: q.answer.reject(new Unimplemented(`return kind ${ret.which} is not supported`))
  }
  finishQuestion(s, id, q)
}

/**
 * Marks a question returned (releasing its param caps when asked to; with noFinishNeeded, as
 * finished too). Undefined for a late Return to a pipeline-only question we finished already
 * (a peer that ignores the hint).
 */
function takeQuestion (s: Session, id: number, releaseParamCaps: boolean, noFinishNeeded: boolean): Question | undefined {
  const q = s.questions.get(id)
  if (q === undefined && s.questions.issued(id)) return undefined
  if (q === undefined || q.returned) throw new ProtocolError(`return for unknown question ${id}`)
  q.returned = true
  if (noFinishNeeded) q.finishSent = true
  if (releaseParamCaps) {
    const ids = q.paramExports
    q.paramExports = NO_EXPORTS
    s.exports.releaseEach(ids)
  }
  return q
}

function finishQuestion (s: Session, id: number, q: Question): void {
  if (q.finishSent) s.questions.delete(id)
  else s.sendFinish(id, q)
}

/** Pipelines that had calls sent to the peer and now resolve to something nearer wait for a Disembargo echo. */
function embargoPipelines (s: Session, id: number, q: Question, r: Response): void {
  for (const p of q.pipelines ?? []) {
    if (p.forwardedCalls === 0 || p.target !== undefined) continue
    let t: CapHook | null
    try { t = followTransform(r, p.transform) } catch { continue }
    if (t === null) continue
    if (needsNoEmbargo(s, t)) continue
    p.resolve(embargo(s, { questionId: id, transform: p.transform }, t.addRef()))
  }
}

/** A capability the peer hosts, or a broken one, needs no embargo. */
function needsNoEmbargo (s: Session, t: CapHook): boolean {
  return peerHosted(t, s) !== undefined || t.resolved() instanceof ErrorHook
}

/** Calls on the returned hook wait for the echo of a Disembargo sent now down `target` (taking `resolution`). */
function embargo (s: Session, target: CallTarget, resolution: CapHook): CapHook {
  const { id, hook } = s.embargoes.add(resolution)
  const { msg, root } = s.newMessage()
  const d = root._initDisembargo()
  writeTarget(d.target, target)
  d.context.senderLoopback = id
  s.send(msg)
  return hook
}

function onResolve (s: Session, r: rpc.Resolve): void {
  const e = s.imports.get(r.promiseId)
  let t: CapHook
  if (r.which() === rpc.Resolve.CAP) {
    t = readDescriptor(s, descOf(r.cap)) ?? new ErrorHook(new InvalidArgument('promise resolved to a null capability'))
  } else {
    t = new ErrorHook(errorFromException(r.exception.type, r.exception.reason))
  }
  if (e === undefined) { t.release(); return }
  const imp = e.hook
  if (imp.callsSent > 0 && !needsNoEmbargo(s, t)) t = embargo(s, { importedCap: imp.id }, t)
  imp.resolveTo(t)
}

function onDisembargo (s: Session, d: rpc.Disembargo): void {
  const ctx = d.context
  switch (ctx.which()) {
    case rpc.Disembargo_Context.SENDER_LOOPBACK: {
      const target = targetHook(s, targetOf(d.target))
      const back = peerHosted(target, s)?.peerTarget(s)
      target.release()
      if (back === undefined) throw new ProtocolError('disembargo target does not point back to the sender')
      const { msg, root } = s.newMessage()
      const out = root._initDisembargo()
      writeTarget(out.target, back)
      out.context.receiverLoopback = ctx.senderLoopback
      s.send(msg)
      break
    }
    case rpc.Disembargo_Context.RECEIVER_LOOPBACK: s.embargoes.lift(ctx.receiverLoopback); break
    default: {
      const { msg, root } = s.newMessage()
      root._initUnimplemented()._initDisembargo()
      s.send(msg)
    }
  }
}

/** The peer gave up on the connection (it closes its side: we close without sending anything). */
function onAbort (s: Session, e: rpc.Exception): void {
  s.shutdown(errorFromException(e.type, `peer aborted: ${e.reason}`), false)
}

function onUnimplemented (s: Session, m: rpc.Message): void {
  switch (m.which()) {
    case rpc.Message.CALL:
    case rpc.Message.BOOTSTRAP: {
      const id = m.which() === rpc.Message.CALL ? m.call.questionId : m.bootstrap.questionId
      const q = s.questions.get(id)
      if (q === undefined) return
      q.returned = true
      q.finishSent = true
      s.questions.delete(id)
      q.answer.reject(new Unimplemented('the peer does not implement this call'))
      break
    }
    case rpc.Message.RESOLVE: {
      const r = m.resolve
      if (r.which() !== rpc.Resolve.CAP) return
      const d = r.cap
      if (d.which() === rpc.CapDescriptor.SENDER_HOSTED) s.exports.release(d.senderHosted, 1)
      else if (d.which() === rpc.CapDescriptor.SENDER_PROMISE) s.exports.release(d.senderPromise, 1)
      break
    }
    default:
      log('%s: peer did not implement message kind %d', s.name, m.which())
  }
}
