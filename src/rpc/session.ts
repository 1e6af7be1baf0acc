// What a connection is inside: its tables, its outbox and the sending side of the protocol that
// hooks, answers and handlers use (a Call, a Finish, a Release, a tail call). Not public: the
// public face is Connection (connection.ts), which also reads and dispatches what arrives.
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { logger } from '../log.js'
import { Disconnected, LimitExceeded, reasonOf } from '../errors.js'
import type { MessageTransport } from '../transport/transport.js'
import type { CallObserver } from './call-observer.js'
import type { RpcLimits } from './limits.js'
import { type AnswerHook, type CapHook, type OutCall, PendingAnswer, SettledAnswer, capTableOf, releaseCaps } from './hooks.js'
import { writeException } from './exception.js'
import { type CallTarget, callParams, canMarkOnlyPipeline, setCallYourself, writeCallHeader } from './wire/envelope.js'
import { EmptyReturnFrame, FinishFrame, Outbox, ReleaseFrame } from './outbox.js'
import type { ImportHook } from './peer-hooks.js'
import { writeTarget } from './rpc-structs.js'
import { Question, QuestionTable } from './questions.js'
import { AnswerTable } from './answers.js'
import { ExportTable } from './exports.js'
import { ImportTable } from './imports.js'
import { EmbargoTable } from './embargoes.js'
import { writeCapTable } from './cap-descriptors.js'

const log = logger('ww:rpc')

export class Session {
  done = false
  error?: Error
  readonly closed: Promise<void>
  private resolveClosed!: () => void
  readonly questions = new QuestionTable<Question>()
  readonly answers: AnswerTable
  readonly exports: ExportTable
  readonly imports: ImportTable
  readonly embargoes = new EmbargoTable()
  readonly outbox: Outbox
  /** Run after the next message is queued (a Resolve for an export that is broken already). */
  afterSend: Array<() => void> = []
  /** The id of the question sendCall made last (a reflected call's Return names it). */
  lastQuestionId = 0

  constructor (private readonly transport: MessageTransport, readonly limits: RpcLimits, readonly name: string,
    readonly bootstrapHook: CapHook | undefined, readonly observer?: CallObserver) {
    this.outbox = new Outbox(transport)
    this.answers = new AnswerTable(limits.maxAnswers)
    this.exports = new ExportTable(limits.maxExports)
    this.imports = new ImportTable(this, limits.maxImports)
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve })
  }

  /** Nesting depth limit of a received payload (the message root and Call/Return count too). */
  get payloadDepth (): number { return this.limits.nestingDepth - 2 }

  // --- sending ---------------------------------------------------------------------------------

  /** `once`: the message is never touched again (so the transport may copy it later, at its write). */
  send (msg: capnp.Message, once = false, q?: Question): void {
    if (this.done) return
    this.outbox.message(msg, once, q)
    if (this.afterSend.length > 0) {
      const after = this.afterSend
      this.afterSend = []
      for (const f of after) f()
    }
  }

  /** Sends the Return of empty results to the peer's question `id` (no message built: see wire/empty-results.ts). */
  sendEmptyReturn (id: number, noFinishNeeded: boolean): void {
    if (this.done) return
    this.outbox.frame(new EmptyReturnFrame(id, noFinishNeeded))
  }

  newMessage (): { msg: capnp.Message, root: rpc.Message } {
    const msg = new capnp.Message()
    return { msg, root: msg.initRoot(rpc.Message) }
  }

  newQuestion (pipelineOnly = false): Question {
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
  sendCall (c: OutCall, target: CallTarget, yourself: boolean): AnswerHook {
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
    this.lastQuestionId = id
    if (writeCallHeader(c.msg, id, target, yourself, pipelineOnly)) {
      if (caps.length > 0) q.paramExports = writeCapTable(this, c.msg, caps, callParams)
    } else {
      const call = new rpc.Message(c.msg.getSegment(0), 0).call
      call.questionId = id
      writeTarget(call.target, target)
      if (yourself) call.sendResultsTo.yourself = true
      else call.sendResultsTo.caller = true
      if (call.onlyPromisePipeline) call.onlyPromisePipeline = false // a forwarded call's hint was its sender's
      q.paramExports = writeCapTable(this, c.msg, caps, () => call.params, false)
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
    if (!this.done) this.outbox.frame(new FinishFrame(id, done))
    if (done) this.questions.delete(id)
  }

  /** Our last reference to an import went: Release every reference the peer gave us. */
  releaseImport (hook: ImportHook): void {
    const count = this.imports.remove(hook)
    if (count === undefined || this.done) return
    this.outbox.frame(new ReleaseFrame(hook.id, count))
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
    this.sendTakeFrom(answerId, inner.questionId)
    entry.answer.promise.then((r) => { entry.response = r }, () => {})
    return true
  }

  /** Our Return for `answerId` says: the results are those of our question `questionId` (its Return comes to us). */
  sendTakeFrom (answerId: number, questionId: number): void {
    const { msg, root } = this.newMessage()
    const ret = root._initReturn()
    ret.answerId = answerId
    ret.releaseParamCaps = false
    ret.takeFromOtherQuestion = questionId
    this.send(msg)
  }

  // --- ending ------------------------------------------------------------------------------------

  /** Sends Abort (why: `err`), then closes. */
  abort (err: Error): void {
    if (this.done) return
    const { msg, root } = this.newMessage()
    writeException(root._initAbort(), err)
    this.send(msg)
    this.shutdown(err, true)
  }

  /** Pending calls reject, calls from the peer are canceled, imports and embargoes break, exports are released. */
  shutdown (err: Error, closeTransport = true): void {
    if (this.done) return
    const lost = err instanceof Disconnected ? err : new Disconnected(reasonOf(err))
    if (closeTransport) this.outbox.flush()
    this.error = err
    this.done = true
    if (closeTransport) this.transport.close(err)
    this.outbox.clear()
    for (const [, q] of this.questions.entries()) { q.returned = true; q.answer.reject(lost) }
    this.answers.cancelAll()
    this.imports.breakAll(lost)
    this.exports.clear()
    this.embargoes.breakAll(lost)
    this.bootstrapHook?.release()
    log('%s: closed: %s', this.name, err.message)
    this.resolveClosed()
  }
}
