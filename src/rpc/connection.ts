// One two-party level-1 RPC connection over a MessageTransport: the four tables (questions,
// answers, imports, exports), embargoes, and every rpc.capnp message of level 1.
import './list-reads.js' // every list read is bounded (see there)
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { logger } from '../log.js'
import { Canceled, Disconnected, InvalidArgument, LimitExceeded, Unimplemented, reasonOf } from '../errors.js'
import { ownSegment, type Received } from '../transport/framing.js'
import type { FrameFill } from '../transport/batch-writer.js'
import type { MessageTransport } from '../transport/transport.js'
import { FrameBudget } from '../transport/frame-budget.js'
import { type RpcLimits, resolveLimits } from './limits.js'
import { type AnswerHook, type CapHook, type CapTable, ErrorHook, type OutCall, PendingAnswer, PromiseHook, Response,
  SettledAnswer, capTableOf, chainAnswer, followTransform, releaseAll, releaseCaps, setCapTable } from './hooks.js'
import { type Capability, type ClientClass } from './capability.js'
import { errorFromException, exceptionTypeCode, exceptionTypeOf } from './exception.js'
import { IdTable, PeerIdTable, QuestionTable } from './tables.js'
import { receivedMessage } from './message.js'
import { receivedCall } from './call-buffers.js'
import { type CallTarget, type FastReturn, TAG_CALL, TAG_FINISH, TAG_RELEASE, TAG_RETURN, adoptLayout, callParams, canMarkOnlyPipeline, copyLaidOut, readFast, setCallYourself, writeCallHeader, writeCapTableOf, writeFinish,
  writeRelease, writeReturnHeader } from './envelope.js'
import { CAP_NONE, CAP_RECEIVER_ANSWER, CAP_RECEIVER_HOSTED, CAP_SENDER_HOSTED, CAP_SENDER_PROMISE, CAP_THIRD_PARTY_HOSTED, type CapDesc,
  type PromisedTarget } from './envelope-caps.js'
import { AnswerEntry, NO_EXPORTS, Question } from './entries.js'
import { EMPTY_CAP_TABLE, EMPTY_CONTENT_AT, EMPTY_RESULTS, EMPTY_RESULTS_AT, EMPTY_RETURN_FRAME_BYTES, isEmptyContent, writeEmptyReturn } from './empty-results.js'
import { Outbox } from './outbox.js'
import { ImportHook, PipelineHook } from './peer-hooks.js'
import { LocalHook } from './server.js'
import { ProtocolError } from './protocol-error.js'
import { descOf, descsOf, readTransform, writeDesc, writeTarget } from './rpc-structs.js'

const log = logger('ww:rpc')

export interface ConnectionOptions {
  /** The capability the peer gets from Bootstrap (the connection keeps its own reference). */
  bootstrap?: Capability
  limits?: Partial<RpcLimits>
  name?: string
  /** Told of every call the peer makes on this connection, and of each that fails (for metrics: keep it cheap). */
  observer?: CallObserver
}

/** Sees the peer's calls by (interface ID, method ID): once when a call arrives, again if its Return is an exception. */
export interface CallObserver {
  call: (interfaceId: bigint, methodId: number) => void
  error: (interfaceId: bigint, methodId: number) => void
}

type Target = CallTarget

/** The fields of a Call the connection acts on (read by envelope.ts or by capnp-es). */
interface CallInfo {
  questionId: number
  interfaceId: bigint
  methodId: number
  sendResultsTo: number
  /** Call.onlyPromisePipeline: send no Return, keep the results for pipelined calls until Finish. */
  onlyPipeline: boolean
  /** An export id (importedCap), a promised answer, or the capnp-es target. */
  target: number | PromisedTarget | rpc.MessageTarget
  /** The params payload, or the byte offset (segment 0) of its pointer. */
  params: rpc.Payload | number
  /** The params' cap table. */
  caps: CapDesc[]
  contentPtr?: number
}

/** A call from the peer as handed to its target (a class, not a literal: see entries.ts on pretenuring). */
class ReceivedCall implements OutCall {
  params?: rpc.Payload = undefined
  paramsAt?: number = undefined
  contentPtr?: number = undefined
  depth?: number = undefined
  signal?: AbortSignal = undefined
  stream?: boolean = undefined
  constructor (public interfaceId: bigint, public methodId: number, public msg: capnp.Message, public origin: Connection,
    public answerId: number, public onlyPipeline: boolean) {}
}

interface ExportEntry { hook: CapHook, refs: number }
interface ImportEntry { hook: ImportHook, remoteRefs: number }
interface Embargo { hook: PromiseHook, target: CapHook }

/**
 * A capability in an answer that is not (or no longer) in the table: broken, not a protocol
 * error. A Return with noFinishNeeded drops its answer while the caller may still pipeline on it;
 * its results hold no capabilities, so such a call fails either way.
 */
function goneAnswer (id: number): CapHook {
  return new ErrorHook(new InvalidArgument(`answer ${id} is not current (it returned no capabilities, or never was)`))
}

export class Connection {
  readonly limits: RpcLimits
  readonly closed: Promise<void>
  error?: Error
  private done = false
  private resolveClosed!: () => void
  private readonly questions = new QuestionTable<Question>()
  private readonly answers = new PeerIdTable<AnswerEntry>()
  private readonly exports = new IdTable<ExportEntry>()
  private readonly exportIds = new Map<CapHook, number>()
  private readonly imports = new Map<number, ImportEntry>()
  private readonly embargoes = new IdTable<Embargo>()
  private readonly bootstrapHook?: CapHook
  private readonly name: string
  private afterSend: Array<() => void> = []
  private readonly outbox: Outbox
  private readonly observer: CallObserver | undefined

  constructor (private readonly transport: MessageTransport, options: ConnectionOptions = {}) {
    this.limits = resolveLimits(options.limits)
    this.outbox = new Outbox(transport)
    this.name = options.name ?? 'conn'
    this.observer = options.observer
    this.bootstrapHook = options.bootstrap?.hook.addRef()
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve })
    transport.start({
      message: (segments) => { this.receive(segments) },
      segment: (view) => { this.receive(view) },
      closed: (err) => { this.shutdown(err ?? new Disconnected('connection closed')) }
    }, { ...this.limits, budget: FrameBudget.shared(this.limits.incompleteFramesBytes) })
  }

  /** The peer's bootstrap capability (owned; pipelined until the answer arrives). */
  bootstrap<C extends Capability>(Client: ClientClass<C>): C {
    if (this.done) return new Client(new ErrorHook(this.error ?? new Disconnected('connection closed')))
    const msg = new capnp.Message()
    const root = msg.initRoot(rpc.Message)
    const b = root._initBootstrap()
    const q = this.newQuestion()
    b.questionId = q.id
    this.send(msg)
    const hook = q.answer.pipeline([])
    q.answer.promise.then((r) => { r.release() }, () => {})
    return new Client(hook)
  }

  /** Sends Abort, then closes: pending calls reject with Disconnected, imports break, exports are released. */
  close (reason = 'connection closed by this side'): void {
    if (this.done) return
    this.abort(new Disconnected(reason))
  }

  get stats (): { questions: number, answers: number, imports: number, exports: number, embargoes: number } {
    return { questions: this.questions.size, answers: this.answers.size, imports: this.imports.size, exports: this.exports.size, embargoes: this.embargoes.size }
  }

  // --- sending ---------------------------------------------------------------------------------

  /** `once`: the message is never touched again (so the transport may copy it later, at its write). */
  private send (msg: capnp.Message, once = false, q?: Question): void {
    if (this.done) return
    this.outbox.message(msg, once, q)
    if (this.afterSend.length > 0) {
      const after = this.afterSend
      this.afterSend = []
      for (const f of after) f()
    }
  }

  /** Sends a Finish/Release frame (or another of `bytes`) written by `fill` (lazy: may wait to ride along with the next message). */
  private sendFrame (fill: FrameFill, lazy: boolean, bytes?: number): void {
    if (this.done) return
    this.outbox.small(fill, lazy, bytes)
  }

  /**
   * A handler answering our peer's call `answerId` tail-calls `inner`: if inner is a call to this
   * same peer still in the outbox, it becomes `sendResultsTo.yourself` and we answer with
   * `takeFromOtherQuestion` (what C++ does), so the results never travel back and forth.
   */
  tailCall (answerId: number, inner: AnswerHook): boolean {
    if (!(inner instanceof PendingAnswer) || inner.owner !== this || inner.questionId === undefined) return false
    const q = this.questions.get(inner.questionId)
    const entry = this.answers.get(answerId)
    if (q === undefined || q.answer !== inner || q.pending === undefined || entry === undefined || entry.returnSent || entry.pipelineOnly) return false
    setCallYourself(q.pending)
    entry.returnSent = true
    const { msg, root } = this.newMessage()
    const ret = root._initReturn()
    ret.answerId = answerId
    ret.releaseParamCaps = false
    ret.takeFromOtherQuestion = inner.questionId
    this.send(msg)
    entry.answer.promise.then((r) => { entry.response = r }, () => {})
    return true
  }

  private newMessage (): { msg: capnp.Message, root: rpc.Message } {
    const msg = new capnp.Message()
    return { msg, root: msg.initRoot(rpc.Message) }
  }

  private newQuestion (pipelineOnly = false): Question {
    const q = new Question()
    const id = this.questions.add(q, pipelineOnly)
    q.id = id
    q.pipelineOnly = pipelineOnly
    q.conn = this
    q.answer.owner = this
    q.answer.questionId = id
    q.answer.question = q
    return q
  }

  /** Sends a call to the peer. The call message is reused as the wire message. */
  sendCall (c: OutCall, target: Target, yourself: boolean): AnswerHook {
    if (this.done) { releaseCaps(c.msg); return new SettledAnswer(this.error ?? new Disconnected('connection closed')) }
    if (this.questions.size >= this.limits.maxQuestions) {
      releaseCaps(c.msg)
      return new SettledAnswer(new LimitExceeded(`more than ${this.limits.maxQuestions} questions in flight`))
    }
    const caps = capTableOf(c.msg)
    // Only for calls without caps in their params: with no Return, nothing would release them.
    const pipelineOnly = c.onlyPipeline === true && !yourself && caps.length === 0 && canMarkOnlyPipeline(c.msg)
    const q = this.newQuestion(pipelineOnly)
    const id = q.id
    this.lastId = id
    if (writeCallHeader(c.msg, id, target, yourself, pipelineOnly)) {
      if (caps.length > 0) q.paramExports = this.writeCapTable(c.msg, callParams, caps)
    } else {
      const call = new rpc.Message(c.msg.getSegment(0), 0).call
      call.questionId = id
      writeTarget(call.target, target)
      if (yourself) call.sendResultsTo.yourself = true
      else call.sendResultsTo.caller = true
      if (call.onlyPromisePipeline) call.onlyPromisePipeline = false // a forwarded call's hint was its sender's
      q.paramExports = this.writeCapTable(c.msg, () => call.params, caps, false)
    }
    this.send(c.msg, true, q)
    releaseCaps(c.msg)
    const signal = c.signal
    if (signal !== undefined) {
      if (signal.aborted) {
        q.answer.cancel()
      } else {
        const onAbort = (): void => { q.answer.cancel() }
        signal.addEventListener('abort', onAbort, { once: true })
        const forget = (): void => { signal.removeEventListener('abort', onAbort) }
        q.answer.promise.then(forget, forget)
      }
    }
    return q.answer
  }

  /** Our Finish for question `id` (at most one). */
  sendFinish (id: number, q: Question): void {
    if (q.finishSent) return
    q.finishSent = true
    // A cancel goes out at once; a pipeline-only question's Finish usually just frees its results.
    const done = q.returned || q.pipelineOnly
    this.sendFrame((_, dv, at) => { writeFinish(dv, at, id, false) }, done)
    if (done) this.questions.delete(id)
  }

  private sendRelease (id: number, count: number): void {
    this.sendFrame((_, dv, at) => { writeRelease(dv, at, id, count) }, true)
  }

  releaseImport (hook: ImportHook): void {
    const entry = this.imports.get(hook.id)
    if (entry === undefined || entry.hook !== hook) return
    this.imports.delete(hook.id)
    if (!this.done) this.sendRelease(hook.id, entry.remoteRefs)
  }

  private writeException (e: rpc.Exception, err: unknown): void {
    e.reason = reasonOf(err)
    e.type = exceptionTypeCode[exceptionTypeOf(err)] as rpc.Exception_Type
  }

  // --- cap tables --------------------------------------------------------------------------------

  /**
   * Writes the cap table of msg's payload (hand-laid when `fast` and msg has our layout, else with
   * capnp-es on payload()); returns the export ids it referenced (for releaseParamCaps).
   */
  private writeCapTable (msg: capnp.Message, payload: (msg: capnp.Message) => rpc.Payload, caps: CapTable, fast = true): number[] {
    const exported: number[] = []
    const descs = new Array<CapDesc>(caps.length)
    for (let i = 0; i < caps.length; i++) descs[i] = this.describe(caps[i], exported)
    if (fast && writeCapTableOf(msg, descs)) return exported
    const list = payload(msg)._initCapTable(descs.length)
    for (let i = 0; i < descs.length; i++) writeDesc(list.get(i), descs[i])
    return exported
  }

  /** The descriptor for sending `hook` to the peer (exporting it if needed; its id goes to `exported`). */
  private describe (hook: CapHook | null, exported: number[]): CapDesc {
    if (hook === null) return { kind: CAP_NONE, id: 0 }
    const h = hook.resolved()
    if (h instanceof ImportHook && h.owner === this && h.broken === undefined) return { kind: CAP_RECEIVER_HOSTED, id: h.id }
    if (h instanceof PipelineHook && h.conn === this) return { kind: CAP_RECEIVER_ANSWER, id: 0, answer: { questionId: h.questionId, transform: h.transform } }
    const existing = this.exportIds.get(h)
    if (existing !== undefined) {
      this.exports.get(existing)!.refs++
      exported.push(existing)
      return { kind: h.onResolve === undefined || h instanceof ErrorHook ? CAP_SENDER_HOSTED : CAP_SENDER_PROMISE, id: existing }
    }
    if (this.exports.size >= this.limits.maxExports) throw new LimitExceeded(`more than ${this.limits.maxExports} exports`)
    const entry: ExportEntry = { hook: h.addRef(), refs: 1 }
    const id = this.exports.add(entry)
    this.exportIds.set(h, id)
    exported.push(id)
    if (h instanceof ErrorHook) {
      this.afterSend.push(() => { this.sendResolve(id, h) })
      return { kind: CAP_SENDER_PROMISE, id }
    }
    const pending = h.onResolve?.((t) => { this.exportResolved(id, entry, t) }) ?? false
    return { kind: pending ? CAP_SENDER_PROMISE : CAP_SENDER_HOSTED, id }
  }

  /**
   * The promise exported as `id` (entry `e`) resolved to `target`. When that is another promise not
   * of this connection (say a pipelined cap on the link to a third host), the entry now stands for
   * it and nothing is sent: the peer's calls on the promise still reach it, and the peer hears one
   * Resolve, at the end (what the C++ implementation does). Otherwise the peer gets a Resolve now.
   */
  private exportResolved (id: number, e: ExportEntry, target: CapHook): void {
    if (this.done || this.exports.get(id) !== e) return // released meanwhile (the id may be reused)
    const t = target.resolved()
    if (!this.isPeerHosted(t) && !this.exportIds.has(t) && t.onResolve?.((next) => { this.exportResolved(id, e, next) }) === true) {
      this.exportIds.delete(e.hook)
      this.exportIds.set(t, id)
      const old = e.hook
      e.hook = t.addRef()
      old.release()
      return
    }
    this.sendResolve(id, target)
  }

  private sendResolve (id: number, target: CapHook): void {
    if (this.done || this.exports.get(id) === undefined) return
    const { msg, root } = this.newMessage()
    const r = root._initResolve()
    r.promiseId = id
    const t = target.resolved()
    if (t instanceof ErrorHook) this.writeException(r._initException(), t.error)
    else writeDesc(r._initCap(), this.describe(t, []))
    // Lazy: it rides along with the next message, usually the Returns of calls made on the
    // promise, which settle a few promise hops after it (one write for both, not two).
    this.outbox.lazyMessage(msg)
  }

  private readCapTable (descs: CapDesc[]): CapTable {
    const caps: CapTable = new Array(descs.length)
    try {
      for (let i = 0; i < descs.length; i++) caps[i] = this.readDescriptor(descs[i])
    } catch (err) {
      releaseAll(caps)
      throw err
    }
    return caps
  }

  private readDescriptor (d: CapDesc): CapHook | null {
    switch (d.kind) {
      case CAP_NONE: return null
      case CAP_SENDER_HOSTED: return this.importCap(d.id, false)
      case CAP_SENDER_PROMISE: return this.importCap(d.id, true)
      case CAP_RECEIVER_HOSTED: {
        const e = this.exports.get(d.id)
        if (e === undefined) throw new ProtocolError(`receiverHosted names unknown export ${d.id}`)
        return e.hook.addRef()
      }
      case CAP_RECEIVER_ANSWER: {
        const ra = d.answer!
        const a = this.answers.get(ra.questionId)
        if (a === undefined) return goneAnswer(ra.questionId)
        return a.answer.pipeline(ra.transform)
      }
      case CAP_THIRD_PARTY_HOSTED: return this.importCap(d.id, false)
      default: throw new ProtocolError(`unknown CapDescriptor kind ${d.kind}`)
    }
  }

  private importCap (id: number, isPromise: boolean): CapHook {
    const e = this.imports.get(id)
    if (e !== undefined) { e.remoteRefs++; return e.hook.addRef() }
    if (this.imports.size >= this.limits.maxImports) throw new LimitExceeded(`more than ${this.limits.maxImports} imports`)
    const hook = new ImportHook(this, id, isPromise)
    this.imports.set(id, { hook, remoteRefs: 1 })
    return hook
  }

  /** Releases one reference to each export a message's cap table made. */
  private releaseExports (ids: readonly number[]): void {
    for (const id of ids) this.releaseExport(id, 1)
  }

  private releaseExport (id: number, count: number): void {
    const e = this.exports.get(id)
    if (e === undefined) throw new ProtocolError(`release of unknown export ${id}`)
    if (count > e.refs) throw new ProtocolError(`release of export ${id} by ${count} but it has ${e.refs} references`)
    e.refs -= count
    if (e.refs > 0) return
    this.exports.delete(id)
    this.exportIds.delete(e.hook)
    e.hook.release()
  }

  // --- receiving ---------------------------------------------------------------------------------

  /** A received message: its segments, or a view of its only segment valid during this call (Finish and Release are read from it, not copied). */
  private receive (received: Received): void {
    if (this.done) return
    try {
      const one = received instanceof DataView ? received : received.length === 1 ? received[0] : undefined
      const fast = one === undefined ? undefined : readFast(one)
      if (fast !== undefined && fast.tag === TAG_FINISH) { this.onFinish(fast.questionId, fast.releaseResultCaps); return }
      if (fast !== undefined && fast.tag === TAG_RELEASE) { this.releaseExport(fast.id, fast.referenceCount); return }
      if (fast !== undefined && fast.tag === TAG_RETURN && fast.caps.length === 0 && isEmptyContent(one!, fast.contentPtr)) {
        this.onEmptyReturn(fast)
        return
      }
      const limit = this.limits.traversalLimitWords * 8
      const msg = (fast?.tag === TAG_CALL && received instanceof DataView ? receivedCall(received, limit) : undefined) ??
        receivedMessage(received instanceof DataView ? [ownSegment(received)] : received, limit)
      if (fast !== undefined) {
        adoptLayout(msg, fast)
        if (fast.tag === TAG_CALL) {
          this.onCall(msg, fast)
        } else {
          const q = this.takeQuestion(fast.answerId, fast.releaseParamCaps, fast.noFinishNeeded)
          const caps = this.readCapTable(fast.caps)
          if (q === undefined) releaseAll(caps)
          else this.returnResults(fast.answerId, q, msg, fast.resultsPtr, caps, fast.contentPtr)
        }
        return
      }
      const root = new rpc.Message(msg.getSegment(0), 0, this.limits.nestingDepth)
      capnp.utils.validate(capnp.PointerType.STRUCT, root)
      this.dispatch(msg, root)
    } catch (err) {
      if (this.done) return
      const e = err instanceof LimitExceeded ? err : new InvalidArgument(`malformed message: ${reasonOf(err)}`)
      log('%s: aborting: %s', this.name, e.message)
      this.abort(e)
    }
  }

  private dispatch (msg: capnp.Message, root: rpc.Message): void {
    switch (root.which()) {
      case rpc.Message.CALL: {
        const call = root.call
        this.onCall(msg, { questionId: call.questionId, interfaceId: call.interfaceId, methodId: call.methodId, sendResultsTo: call.sendResultsTo.which(),
          onlyPipeline: call.onlyPromisePipeline, target: call.target, params: call.params, caps: descsOf(call.params) })
        break
      }
      case rpc.Message.RETURN: this.onReturn(msg, root.return); break
      case rpc.Message.FINISH: this.onFinish(root.finish.questionId, root.finish.releaseResultCaps); break
      case rpc.Message.RELEASE: this.releaseExport(root.release.id, root.release.referenceCount); break
      case rpc.Message.RESOLVE: this.onResolve(root.resolve); break
      case rpc.Message.DISEMBARGO: this.onDisembargo(root.disembargo); break
      case rpc.Message.BOOTSTRAP: this.onBootstrap(root.bootstrap); break
      case rpc.Message.ABORT: {
        const e = root.abort
        this.shutdown(errorFromException(e.type, `peer aborted: ${e.reason}`), false)
        break
      }
      case rpc.Message.UNIMPLEMENTED: this.onUnimplemented(root.unimplemented); break
      default: {
        const { msg: out, root: r } = this.newMessage()
        r.unimplemented = root
        this.send(out)
      }
    }
  }

  private newAnswer (id: number): AnswerEntry {
    if (this.answers.has(id)) throw new ProtocolError(`question id ${id} reused while still in use`)
    if (this.answers.size >= this.limits.maxAnswers) throw new LimitExceeded(`more than ${this.limits.maxAnswers} calls in flight from the peer`)
    const entry = new AnswerEntry()
    this.answers.set(id, entry)
    return entry
  }

  private onBootstrap (b: rpc.Bootstrap): void {
    const id = b.questionId
    const entry = this.newAnswer(id)
    if (this.bootstrapHook === undefined) {
      entry.answer.reject(new Unimplemented('this peer offers no bootstrap capability'))
    } else {
      const msg = new capnp.Message()
      const ret = msg.initRoot(rpc.Message)._initReturn()
      ret.releaseParamCaps = false
      const payload = ret._initResults()
      capTableOf(msg).push(this.bootstrapHook.addRef())
      capnp.utils.setInterfacePointer(0, capnp.utils.getPointer(0, payload))
      entry.answer.resolve(new Response(msg, payload))
    }
    this.replyWhenSettled(id, entry)
  }

  private targetHook (t: number | PromisedTarget | rpc.MessageTarget): CapHook {
    if (typeof t === 'number') {
      const e = this.exports.get(t)
      if (e === undefined) throw new ProtocolError(`call to unknown export ${t}`)
      return e.hook.addRef()
    }
    if (!(t instanceof rpc.MessageTarget)) {
      const a = this.answers.get(t.questionId)
      if (a === undefined) return goneAnswer(t.questionId)
      return a.answer.pipeline(t.transform)
    }
    switch (t.which()) {
      case rpc.MessageTarget.IMPORTED_CAP: {
        const e = this.exports.get(t.importedCap)
        if (e === undefined) throw new ProtocolError(`call to unknown export ${t.importedCap}`)
        return e.hook.addRef()
      }
      case rpc.MessageTarget.PROMISED_ANSWER: {
        const pa = t.promisedAnswer
        const a = this.answers.get(pa.questionId)
        if (a === undefined) return goneAnswer(pa.questionId)
        return a.answer.pipeline(readTransform(pa))
      }
      default: throw new ProtocolError(`unknown message target kind ${t.which()}`)
    }
  }

  private onCall (msg: capnp.Message, call: CallInfo): void {
    const id = call.questionId
    const target = this.targetHook(call.target)
    let caps: CapTable
    try {
      caps = this.readCapTable(call.caps)
    } catch (err) { target.release(); throw err }
    setCapTable(msg, caps)
    let entry: AnswerEntry
    try { entry = this.newAnswer(id) } catch (err) { target.release(); releaseCaps(msg); throw err }
    if (this.observer !== undefined) {
      entry.interfaceId = call.interfaceId
      entry.methodId = call.methodId
      this.observer.call(call.interfaceId, call.methodId)
    }
    const c = new ReceivedCall(call.interfaceId, call.methodId, msg, this, id, call.onlyPipeline)
    if (typeof call.params === 'number') { c.paramsAt = call.params; c.depth = this.payloadDepth } else c.params = call.params
    if (call.contentPtr !== undefined && call.contentPtr >= 0) c.contentPtr = call.contentPtr
    const redirect = call.sendResultsTo
    if (redirect === rpc.Call_SendResultsTo.THIRD_PARTY) {
      releaseCaps(msg)
      target.release()
      entry.answer.reject(new Unimplemented('three-party handoff is not supported (level 1 only)'))
      this.replyWhenSettled(id, entry)
      return
    }
    const h = target.resolved()
    if (redirect === rpc.Call_SendResultsTo.CALLER && ((h instanceof ImportHook && h.owner === this && h.broken === undefined) ||
        (h instanceof PipelineHook && h.conn === this))) {
      // The call comes straight back to the peer: reflect it as a tail call.
      const t: Target = h instanceof ImportHook ? { importedCap: h.id } : { questionId: (h as PipelineHook).questionId, transform: (h as PipelineHook).transform }
      if (h instanceof ImportHook) h.callsSent++
      else (h as PipelineHook).forwardedCalls++
      const inner = this.sendCall(c, t, true)
      target.release()
      chainAnswer(inner, entry.answer)
      entry.returnSent = true
      const { msg: out, root } = this.newMessage()
      const ret = root._initReturn()
      ret.answerId = id
      ret.releaseParamCaps = false
      ret.takeFromOtherQuestion = this.lastQuestionId
      this.send(out)
      entry.answer.promise.then((r) => { entry.response = r }, () => {})
      return
    }
    if (h instanceof LocalHook) h.callInto(c, entry.answer)
    else chainAnswer(target.call(c), entry.answer)
    target.release()
    if (redirect === rpc.Call_SendResultsTo.YOURSELF) {
      entry.answer.promise.then((r) => { entry.response = r; this.sendReturn(id, entry, 'elsewhere') },
        (err) => { this.sendReturn(id, entry, err) })
      return
    }
    if (call.onlyPipeline) this.holdForPipelining(id, entry)
    else this.replyWhenSettled(id, entry)
  }

  /** A call made with onlyPromisePipeline: no Return; its results serve pipelined calls until the Finish. */
  private holdForPipelining (id: number, entry: AnswerEntry): void {
    entry.pipelineOnly = true
    const keep = (r: Response): void => {
      if (this.answers.get(id) === entry) entry.response = r
      else r.release() // finished (or the connection closed) before the call ended
    }
    const a = entry.answer
    if (a.response !== undefined) keep(a.response)
    else if (a.error === undefined) a.promise.then(keep, () => {})
  }

  private get lastQuestionId (): number { return this.lastId }
  private lastId = 0

  private replyWhenSettled (id: number, entry: AnswerEntry): void {
    const a = entry.answer
    if (a.response !== undefined) { entry.response = a.response; this.sendReturn(id, entry, a.response); return }
    if (a.error !== undefined) { this.sendReturn(id, entry, a.error); return }
    entry.answer.promise.then((r) => { entry.response = r; this.sendReturn(id, entry, r) },
      (err) => { this.sendReturn(id, entry, err) })
  }

  private sendReturn (id: number, entry: AnswerEntry, outcome: Response | 'elsewhere' | unknown): void {
    if (entry.returnSent || this.done) return
    entry.returnSent = true
    if (outcome instanceof Response) {
      const caps = outcome.caps
      // Results without capabilities serve no pipelined call and hold nothing for a Finish to
      // release: the answer is dropped now, and the caller told so (what C++ does).
      const noFinish = caps.length === 0 && !entry.pipelineOnly
      if (outcome.msg === EMPTY_RESULTS) {
        this.sendFrame((dst, dv, at) => { writeEmptyReturn(dst, dv, at, id, noFinish) }, false, EMPTY_RETURN_FRAME_BYTES)
      } else {
        // The same results may be sent again (forwarded, taken by another question): the first send
        // writes this message in place and leaves it untouched until its write; later ones copy it.
        let msg = outcome.msg
        let once = !outcome.sentOnce
        if (!once) {
          const copy = copyLaidOut(msg)
          if (copy !== undefined) { msg = copy; setCapTable(msg, caps); once = true }
        }
        const fast = writeReturnHeader(msg, id, noFinish)
        if (!fast) {
          const ret = new rpc.Message(msg.getSegment(0), 0).return
          ret.answerId = id
          ret.releaseParamCaps = false
          ret.noFinishNeeded = noFinish
        }
        try {
          if (!fast || caps.length > 0) entry.resultExports = this.writeCapTable(msg, () => msg === outcome.msg ? outcome.payload : new rpc.Message(msg.getSegment(0), 0).return.results, caps, fast)
        } catch (err) {
          entry.returnSent = false
          this.sendReturn(id, entry, err)
          return
        }
        // `once` (written at the end of the tick) only when nothing rewrites the message before then.
        once &&= fast
        if (once) outcome.sentOnce = true
        this.send(msg, once)
      }
      if (noFinish && this.answers.get(id) === entry) this.answers.delete(id)
    } else {
      const { msg, root } = this.newMessage()
      const ret = root._initReturn()
      ret.answerId = id
      ret.releaseParamCaps = false
      if (outcome === 'elsewhere') ret.resultsSentElsewhere = true
      else if (outcome instanceof Canceled) ret.canceled = true
      else {
        this.writeException(ret._initException(), outcome)
        if (entry.methodId >= 0) this.observer?.error(entry.interfaceId, entry.methodId)
      }
      this.send(msg)
    }
    if (!this.answers.has(id)) this.dropAnswer(entry)
  }

  private dropAnswer (entry: AnswerEntry): void {
    entry.response?.release()
    entry.response = undefined
  }

  private onFinish (id: number, releaseResultCaps: boolean): void {
    const entry = this.answers.get(id)
    // The answer may be gone with a Return that said noFinishNeeded: a Finish for it is ignored.
    if (entry === undefined) return
    this.answers.delete(id)
    if (!entry.returnSent) {
      entry.answer.cancel()
      if (!entry.pipelineOnly) this.sendReturn(id, entry, new Canceled('canceled'))
    }
    if (releaseResultCaps) {
      const ids = entry.resultExports
      entry.resultExports = NO_EXPORTS
      this.releaseExports(ids)
    }
    if (entry.returnSent || entry.pipelineOnly) this.dropAnswer(entry)
  }

  /**
   * Marks a question returned (releasing its param caps when asked to; with noFinishNeeded, as
   * finished too). Undefined for a late Return to a pipeline-only question we finished already
   * (a peer that ignores the hint).
   */
  private takeQuestion (id: number, releaseParamCaps: boolean, noFinishNeeded: boolean): Question | undefined {
    const q = this.questions.get(id)
    if (q === undefined && this.questions.issued(id)) return undefined
    if (q === undefined || q.returned) throw new ProtocolError(`return for unknown question ${id}`)
    q.returned = true
    if (noFinishNeeded) q.finishSent = true
    if (releaseParamCaps) {
      const ids = q.paramExports
      q.paramExports = NO_EXPORTS
      this.releaseExports(ids)
    }
    return q
  }

  private finishQuestion (id: number, q: Question): void {
    if (q.finishSent) this.questions.delete(id)
    else this.sendFinish(id, q)
  }

  /** Nesting depth limit of a received payload (the message root and Call/Return count too). */
  private get payloadDepth (): number { return this.limits.nestingDepth - 2 }

  private returnResults (id: number, q: Question, msg: capnp.Message, payload: rpc.Payload | number, caps: CapTable, contentPtr?: number): void {
    setCapTable(msg, caps)
    const r = new Response(msg, payload, this.payloadDepth)
    if (contentPtr !== undefined && contentPtr >= 0) r.contentPtr = contentPtr
    if (q.pipelines !== undefined) this.embargoPipelines(id, q, r)
    q.answer.resolve(r)
    this.finishQuestion(id, q)
  }

  /** A Return of results that hold nothing: they are read from the shared empty message, not copied. */
  private onEmptyReturn (fast: FastReturn): void {
    const q = this.takeQuestion(fast.answerId, fast.releaseParamCaps, fast.noFinishNeeded)
    if (q === undefined) return
    this.returnResults(fast.answerId, q, EMPTY_RESULTS, EMPTY_RESULTS_AT, EMPTY_CAP_TABLE, EMPTY_CONTENT_AT)
  }

  private onReturn (msg: capnp.Message, ret: rpc.Return): void {
    const id = ret.answerId
    const q = this.takeQuestion(id, ret.releaseParamCaps, ret.noFinishNeeded)
    if (q === undefined) {
      if (ret.which() === rpc.Return.RESULTS) releaseAll(this.readCapTable(descsOf(ret.results)))
      return
    }
    const finish = (): void => { this.finishQuestion(id, q) }
    switch (ret.which()) {
      case rpc.Return.RESULTS: {
        const payload = ret.results
        this.returnResults(id, q, msg, payload, this.readCapTable(descsOf(payload)))
        break
      }
      case rpc.Return.EXCEPTION:
        q.answer.reject(errorFromException(ret.exception.type, ret.exception.reason))
        finish()
        break
      case rpc.Return.CANCELED:
        q.answer.reject(new Canceled('call canceled'))
        finish()
        break
      case rpc.Return.RESULTS_SENT_ELSEWHERE:
        q.answer.reject(new Canceled('results sent elsewhere (tail call)'))
        finish()
        break
      case rpc.Return.TAKE_FROM_OTHER_QUESTION: {
        const other = this.answers.get(ret.takeFromOtherQuestion)
        if (other === undefined) throw new ProtocolError(`takeFromOtherQuestion names unknown answer ${ret.takeFromOtherQuestion}`)
        other.answer.promise.then((r) => {
          const mine = r.retain()
          this.embargoPipelines(id, q, mine)
          q.answer.resolve(mine)
          finish()
        }, (err) => { q.answer.reject(err); finish() })
        break
      }
      default:
        q.answer.reject(new Unimplemented(`return kind ${ret.which()} is not supported`))
        finish()
    }
  }

  /** Pipelines that had calls sent to the peer and now resolve to something nearer wait for a Disembargo echo. */
  private embargoPipelines (id: number, q: Question, r: Response): void {
    for (const p of q.pipelines ?? []) {
      if (p.forwardedCalls === 0 || p.target !== undefined) continue
      let t: CapHook | null
      try { t = followTransform(r, p.transform) } catch { continue }
      if (t === null) continue
      if (this.isPeerHosted(t) || t.resolved() instanceof ErrorHook) continue // a broken cap needs no embargo
      const e = this.embargo({ questionId: id, transform: p.transform }, t.addRef())
      p.resolve(e)
    }
  }

  private isPeerHosted (t: CapHook): boolean {
    const h = t.resolved()
    return (h instanceof ImportHook && h.owner === this) || (h instanceof PipelineHook && h.conn === this)
  }

  private embargo (target: Target, resolution: CapHook): PromiseHook {
    const hook = new PromiseHook()
    const eid = this.embargoes.add({ hook, target: resolution })
    const { msg, root } = this.newMessage()
    const d = root._initDisembargo()
    writeTarget(d.target, target)
    d.context.senderLoopback = eid
    this.send(msg)
    return hook
  }

  private onResolve (r: rpc.Resolve): void {
    const e = this.imports.get(r.promiseId)
    let t: CapHook
    if (r.which() === rpc.Resolve.CAP) {
      const h = this.readDescriptor(descOf(r.cap))
      t = h ?? new ErrorHook(new InvalidArgument('promise resolved to a null capability'))
    } else {
      t = new ErrorHook(errorFromException(r.exception.type, r.exception.reason))
    }
    if (e === undefined) { t.release(); return }
    const imp = e.hook
    if (imp.callsSent > 0 && !this.isPeerHosted(t) && !(t.resolved() instanceof ErrorHook)) t = this.embargo({ importedCap: imp.id }, t)
    imp.resolveTo(t)
  }

  private onDisembargo (d: rpc.Disembargo): void {
    const ctx = d.context
    switch (ctx.which()) {
      case rpc.Disembargo_Context.SENDER_LOOPBACK: {
        const target = this.targetHook(d.target)
        const h = target.resolved()
        target.release()
        const { msg, root } = this.newMessage()
        const out = root._initDisembargo()
        if (h instanceof ImportHook && h.owner === this) writeTarget(out.target, { importedCap: h.id })
        else if (h instanceof PipelineHook && h.conn === this) writeTarget(out.target, { questionId: h.questionId, transform: h.transform })
        else throw new ProtocolError('disembargo target does not point back to the sender')
        out.context.receiverLoopback = ctx.senderLoopback
        this.send(msg)
        break
      }
      case rpc.Disembargo_Context.RECEIVER_LOOPBACK: {
        const eid = ctx.receiverLoopback
        const e = this.embargoes.get(eid)
        if (e === undefined) throw new ProtocolError(`unknown embargo ${eid}`)
        this.embargoes.delete(eid)
        e.hook.resolve(e.target)
        break
      }
      default: {
        const { msg, root } = this.newMessage()
        const un = root._initUnimplemented()
        un._initDisembargo()
        this.send(msg)
      }
    }
  }

  private onUnimplemented (m: rpc.Message): void {
    switch (m.which()) {
      case rpc.Message.CALL:
      case rpc.Message.BOOTSTRAP: {
        const id = m.which() === rpc.Message.CALL ? m.call.questionId : m.bootstrap.questionId
        const q = this.questions.get(id)
        if (q === undefined) return
        q.returned = true
        q.finishSent = true
        this.questions.delete(id)
        q.answer.reject(new Unimplemented('the peer does not implement this call'))
        break
      }
      case rpc.Message.RESOLVE: {
        const r = m.resolve
        if (r.which() !== rpc.Resolve.CAP) return
        const d = r.cap
        if (d.which() === rpc.CapDescriptor.SENDER_HOSTED) this.releaseExport(d.senderHosted, 1)
        else if (d.which() === rpc.CapDescriptor.SENDER_PROMISE) this.releaseExport(d.senderPromise, 1)
        break
      }
      default:
        log('%s: peer did not implement message kind %d', this.name, m.which())
    }
  }

  // --- ending ------------------------------------------------------------------------------------

  private abort (err: Error): void {
    if (this.done) return
    const { msg, root } = this.newMessage()
    this.writeException(root._initAbort(), err)
    this.send(msg)
    this.shutdown(err, true)
  }

  private shutdown (err: Error, closeTransport = true): void {
    if (this.done) return
    const lost = err instanceof Disconnected ? err : new Disconnected(reasonOf(err))
    if (closeTransport) this.outbox.flush()
    this.error = err
    this.done = true
    if (closeTransport) this.transport.close(err)
    this.outbox.clear()
    for (const [, q] of this.questions.entries()) { q.returned = true; q.answer.reject(lost) }
    for (const a of this.answers.values()) { a.answer.cancel(); this.dropAnswer(a) }
    this.answers.clear()
    for (const [, e] of this.imports) { e.hook.broken = lost; e.hook.resolveTo(new ErrorHook(lost)) }
    this.imports.clear()
    for (const [, e] of this.exports.entries()) e.hook.release()
    this.exportIds.clear()
    for (const [id, e] of this.embargoes.entries()) { this.embargoes.delete(id); e.target.release(); e.hook.resolve(new ErrorHook(lost)) }
    this.bootstrapHook?.release()
    log('%s: closed: %s', this.name, err.message)
    this.resolveClosed()
  }
}
