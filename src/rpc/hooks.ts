// The capability machinery under the public API. A CapHook is one capability (a local server,
// an import, a promise, a broken cap); it is refcounted explicitly. Calls travel as OutCalls: an
// rpc.capnp Message whose root is a Call, so a call built for a local server can be sent to a
// peer (or forwarded from one peer to another) without copying. Results travel the same way: a
// Message whose root is a Return.
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { Canceled, Disconnected, InvalidArgument } from '../errors.js'
import { capIndexAt } from './wire/envelope.js'
import { EMPTY_CONTENT_AT, EMPTY_RESULTS, EMPTY_RESULTS_AT } from './wire/empty-results.js'
import type { StreamWindow } from './stream-window.js'

export type CapTable = Array<CapHook | null>

export interface OutCall {
  interfaceId: bigint
  methodId: number
  /** Message with root Call; params in call.params (content + the message's capTable). */
  msg: capnp.Message
  signal?: AbortSignal
  /** call.params of msg, when the sender already has it (saves decoding it again). */
  params?: rpc.Payload
  /** Else, when known: byte offset (segment 0) of the params pointer. */
  paramsAt?: number
  /** When known: byte offset (segment 0) of the params content pointer, for a direct struct view. */
  contentPtr?: number
  /** Nesting depth limit of the params payload (default: none). */
  depth?: number
  /** The connection the call came in on and its answer id (lets a handler's tail call go back on the wire). */
  origin?: { tailCall: (answerId: number, inner: AnswerHook) => boolean }
  answerId?: number
  /** For `-> stream` methods. */
  stream?: boolean
  /** The caller only pipelines on the results: sent to a peer as Call.onlyPromisePipeline (no Return needed). */
  onlyPipeline?: boolean
}

/** No nesting depth limit (capnp-es's default). */
export const NO_DEPTH_LIMIT = 0x7fffffff

/** The results of a call: a Message with root Return whose `results` payload holds them. */
export class Response {
  private refs = 1
  /** When known: byte offset (segment 0) of the results content pointer, for a direct struct view. */
  contentPtr?: number
  /** Byte offset (segment 0) of the results pointer, when known (-1: see payload). */
  readonly payloadAt: number
  private _payload?: rpc.Payload
  /** Sent once already as a Return (replies.ts): a later send works on a copy. */
  sentOnce = false

  /** `payload`: the results payload, or the byte offset (segment 0) of its pointer, with its nesting `depth` limit. */
  constructor (readonly msg: capnp.Message, payload: rpc.Payload | number, readonly depth = NO_DEPTH_LIMIT) {
    if (typeof payload === 'number') {
      this.payloadAt = payload
    } else {
      this.payloadAt = -1
      this._payload = payload
      this.depth = payload._capnp.depthLimit
    }
  }

  get payload (): rpc.Payload {
    this._payload ??= new rpc.Payload(this.msg.getSegment(0), this.payloadAt, this.depth)
    return this._payload
  }

  get caps (): CapTable { return capTableOf(this.msg) }
  retain (): this { this.refs++; return this }
  release (): void {
    if (--this.refs !== 0) return
    releaseCaps(this.msg)
  }
}

/** Results that hold nothing: they share the one empty message, and so one Response, never released. */
class EmptyResponse extends Response {
  retain (): this { return this }
  release (): void {}
}

/** The Response of every call whose results hold nothing (every `-> ()` method): no object per call on either side. */
export const EMPTY_RESPONSE: Response = new EmptyResponse(EMPTY_RESULTS, EMPTY_RESULTS_AT)
EMPTY_RESPONSE.contentPtr = EMPTY_CONTENT_AT

export interface AnswerHook {
  readonly promise: Promise<Response>
  /** A new reference to the capability at `transform` in the results (a promise until they arrive). */
  pipeline: (transform: number[]) => CapHook
  /** The caller gives up: cancel if not settled. */
  cancel: () => void
}

export interface CapHook {
  /** Sends a call; consumes the call message (and the references its cap table holds). */
  call: (c: OutCall) => AnswerHook
  addRef: () => CapHook
  release: () => void
  /** Follows resolved promises to the innermost hook known now. */
  resolved: () => CapHook
  /** For promises: registers a callback run (once) when it resolves; returns false if not a pending promise. */
  onResolve?: (cb: (target: CapHook) => void) => boolean
  /** Set on imports: the connection they belong to. */
  readonly owner?: object
  /** Flow control of `-> stream` calls on this capability (made on first use; see stream-window.ts). */
  streamWindow?: StreamWindow
}

export function capTableOf (msg: capnp.Message): CapTable {
  const m = msg._capnp as { capTable?: CapTable }
  if (m.capTable === undefined) m.capTable = []
  return m.capTable
}

export function setCapTable (msg: capnp.Message, caps: CapTable): void {
  (msg._capnp as { capTable?: CapTable }).capTable = caps
}

export function releaseCaps (msg: capnp.Message): void {
  const m = msg._capnp as { capTable?: CapTable }
  const caps = m.capTable
  if (caps === undefined || caps.length === 0) return
  m.capTable = []
  releaseAll(caps)
}

/** Releases every capability of a cap table. */
export function releaseAll (caps: CapTable): void {
  for (let i = 0; i < caps.length; i++) caps[i]?.release()
}

/** Adds a reference (taken over by the message) to its cap table; returns the index. */
export function addCap (msg: capnp.Message, hook: CapHook | null): number {
  const caps = capTableOf(msg)
  caps.push(hook)
  return caps.length - 1
}

/** The capability an interface pointer names, or null. Throws InvalidArgument for a non-capability pointer. */
export function capAt (p: capnp.Pointer): CapHook | null {
  if (capnp.utils.isNull(p)) return null
  if (capnp.utils.getPointerType(p) !== capnp.PointerType.OTHER) throw new InvalidArgument('pointer is not a capability')
  const id = capnp.utils.getCapabilityId(p)
  const caps = (p.segment.message._capnp as { capTable?: CapTable }).capTable
  if (caps === undefined || id >= caps.length) throw new InvalidArgument(`capability index ${id} out of range`)
  return caps[id]
}

/** Walks a pipeline transform (pointer field indices) from a results payload to a capability. */
export function followTransform (r: Response, transform: number[]): CapHook | null {
  const index = r.payloadAt >= 0 ? capIndexAt(r.msg.getSegment(0), r.payloadAt, transform) : capIndexAt(r.payload.segment, r.payload.byteOffset, transform)
  if (index === null) return null
  if (index !== undefined) {
    const caps = (r.msg._capnp as { capTable?: CapTable }).capTable
    if (caps !== undefined && index < caps.length) return caps[index]
  }
  const payload = r.payload
  let p: capnp.Pointer = capnp.utils.getPointer(0, payload)
  for (const index of transform) {
    if (capnp.utils.isNull(p)) return null
    if (capnp.utils.getPointerType(p) !== capnp.PointerType.STRUCT) throw new InvalidArgument('pipeline transform goes through a non-struct')
    const s = new capnp.Struct(p.segment, p.byteOffset, p._capnp.depthLimit)
    if (index >= capnp.utils.getSize(s).pointerLength) return null
    p = capnp.utils.getPointer(index, s)
  }
  return capAt(p)
}

// ---------------------------------------------------------------------------------------------

/** A capability that is broken: every call fails with its error. */
export class ErrorHook implements CapHook {
  streamWindow?: StreamWindow = undefined
  constructor (readonly error: Error) {}
  call (c: OutCall): AnswerHook { releaseCaps(c.msg); return new SettledAnswer(this.error) }
  addRef (): CapHook { return this }
  release (): void {}
  resolved (): CapHook { return this }
}

export const nullCapError = (): Error => new InvalidArgument('call on a null capability')

/** An answer that is already known to have failed. */
export class SettledAnswer implements AnswerHook {
  readonly promise: Promise<Response>
  constructor (readonly error: Error) {
    this.promise = Promise.reject(error)
    this.promise.catch(() => {})
  }

  pipeline (): CapHook { return new ErrorHook(this.error) }
  cancel (): void {}
}

/**
 * The error of every call its caller gave up on: one instance, made once. Releasing the answer of
 * a call made only to pipeline on cancels it every time, and making an Error costs more than the
 * call (it carries no stack worth keeping: that of the release).
 */
const CANCELED_BY_CALLER = new Canceled('call canceled by the caller')

/** A pipelined capability taken from an answer before it settled. */
class Waiter {
  constructor (readonly hook: PromiseHook, readonly transform: number[]) {}
}
const NO_WAITERS: readonly Waiter[] = []

/** The question to a peer behind an answer: pipelined caps are made by it, a cancel goes to it (Finish). */
export interface QuestionSide {
  pipelineOf: (transform: number[]) => PromiseHook
  canceled: () => void
}

/** Told when an answer settles, without a promise (the public Answer of a call: one per call). */
export const ANSWER_SETTLED = Symbol('ww.answerSettled')
export interface AnswerWatcher { [ANSWER_SETTLED]: (r: Response | undefined, err: Error | undefined) => void }

/**
 * An answer that settles later (local calls, queued calls, remote questions). Pipelined caps taken
 * before it settles are promises resolved, in the order they were taken, when it settles.
 */
export class PendingAnswer implements AnswerHook {
  response?: Response
  error?: Error
  // Nothing here is an object or array literal made for every call (see questions.ts on pretenuring).
  private waiters?: Waiter[] = undefined
  private resolveFn?: (r: Response) => void = undefined
  private rejectFn?: (e: Error) => void = undefined
  private _promise?: Promise<Response>
  /** Called on cancel() before settling. */
  onCancel?: () => void
  /** For questions to a peer: the connection and question id. */
  owner?: object
  questionId?: number
  /** Makes the pipeline promise for a transform (remote questions send calls at once). */
  makePipeline?: (transform: number[]) => PromiseHook
  /** For questions to a peer: the question (in place of onCancel and makePipeline: no closures per call). */
  question?: QuestionSide = undefined
  /** Told last when the answer settles (at most one; see watch()). */
  private watcher?: AnswerWatcher = undefined

  /**
   * Has `w` told when this answer settles, at once if it has; false if another watches it
   * already (then use the promise).
   */
  watch (w: AnswerWatcher): boolean {
    if (this.response !== undefined) { w[ANSWER_SETTLED](this.response, undefined); return true }
    if (this.error !== undefined) { w[ANSWER_SETTLED](undefined, this.error); return true }
    if (this.watcher !== undefined) return false
    this.watcher = w
    return true
  }

  private tellWatcher (r: Response | undefined, err: Error | undefined): void {
    const w = this.watcher
    if (w === undefined) return
    this.watcher = undefined
    w[ANSWER_SETTLED](r, err)
  }

  get settled (): boolean { return this.response !== undefined || this.error !== undefined }

  get promise (): Promise<Response> {
    if (this._promise === undefined) {
      if (this.response !== undefined) this._promise = Promise.resolve(this.response)
      else if (this.error !== undefined) { this._promise = Promise.reject(this.error); this._promise.catch(() => {}) }
      else this._promise = new Promise((resolve, reject) => { this.resolveFn = resolve; this.rejectFn = reject })
    }
    return this._promise
  }

  pipeline (transform: number[]): CapHook {
    if (this.response !== undefined) {
      try {
        return followTransform(this.response, transform)?.addRef() ?? new ErrorHook(nullCapError())
      } catch (err) { return new ErrorHook(err as Error) }
    }
    if (this.error !== undefined) return new ErrorHook(this.error)
    const hook = this.makePipeline?.(transform) ?? this.question?.pipelineOf(transform) ?? new PromiseHook()
    ;(this.waiters ??= []).push(new Waiter(hook, transform))
    return hook
  }

  /**
   * The call now goes on as `inner`: pipelined caps taken before send their queued calls down
   * inner's pipeline at once. Waiting for inner's results instead would let calls made on caps
   * taken from now on (which go down inner's pipeline directly) overtake them.
   */
  follow (inner: AnswerHook): void {
    for (const w of this.takeWaiters()) w.hook.resolve(inner.pipeline(w.transform))
  }

  resolve (r: Response): void {
    if (this.settled) { r.release(); return }
    this.response = r
    this.resolveFn?.(r)
    this.settle()
    for (const w of this.takeWaiters()) {
      if (w.hook.target !== undefined) continue // already following (chainAnswer): nothing to tell it
      let target: CapHook
      try {
        target = followTransform(r, w.transform)?.addRef() ?? new ErrorHook(nullCapError())
      } catch (err) { target = new ErrorHook(err as Error) }
      w.hook.resolve(target)
    }
    this.tellWatcher(r, undefined)
  }

  reject (err: Error): void {
    if (this.settled) return
    this.error = err
    this.rejectFn?.(err) // no promise yet: `promise` makes an already rejected one if asked
    this.settle()
    for (const w of this.takeWaiters()) w.hook.resolve(new ErrorHook(err))
    this.tellWatcher(undefined, err)
  }

  /** The pipelined caps waiting for this answer, now theirs to resolve (none are left here). */
  private takeWaiters (): readonly Waiter[] {
    const w = this.waiters
    this.waiters = undefined
    return w ?? NO_WAITERS
  }

  /**
   * Drops what only an unsettled answer uses. A settled answer may outlive its call by a while,
   * and what it still points to is copied by every scavenge that finds it alive.
   */
  private settle (): void {
    this.resolveFn = undefined
    this.rejectFn = undefined
    this.onCancel = undefined
    this.makePipeline = undefined
    this.question = undefined
  }

  cancel (): void {
    if (this.settled) return
    this.onCancel?.()
    this.question?.canceled()
    this.reject(CANCELED_BY_CALLER)
  }
}

/**
 * A capability not known yet. Calls queue in order until it resolves, then flow to the target in
 * the same order. `forward`, when set, sends calls somewhere at once instead of queueing (a
 * remote pipeline: calls go to the peer as promisedAnswer calls).
 */
export class PromiseHook implements CapHook {
  private refs = 1
  target?: CapHook
  streamWindow?: StreamWindow = undefined
  private queue: Array<{ c: OutCall, answer: PendingAnswer }> = []
  private resolveCbs: Array<(t: CapHook) => void> = []
  /** Calls were sent through `forward` (so a later resolution to a shorter path needs an embargo). */
  forwardedCalls = 0
  forward?: (c: OutCall) => AnswerHook
  owner?: object
  /** Run when the last reference goes (before resolution). */
  onDrop?: () => void

  call (c: OutCall): AnswerHook {
    if (this.target !== undefined) return this.target.call(c)
    if (this.forward !== undefined) { this.forwardedCalls++; return this.forward(c) }
    const answer = new PendingAnswer()
    this.queue.push({ c, answer })
    return answer
  }

  addRef (): CapHook { this.refs++; return this }

  release (): void {
    if (this.refs <= 0) return
    if (--this.refs !== 0) return
    if (this.target !== undefined) { this.target.release(); this.target = undefined; return }
    this.onDrop?.()
  }

  resolved (): CapHook { return this.target?.resolved() ?? this }

  onResolve (cb: (t: CapHook) => void): boolean {
    if (this.target !== undefined) return false
    this.resolveCbs.push(cb)
    return true
  }

  /** Resolves to `target` (taking over that reference); queued calls go there, in order. */
  resolve (target: CapHook): void {
    if (this.target !== undefined) { target.release(); return }
    if (this.refs <= 0) {
      // Every reference is gone, but calls made before that still go out, in order.
      for (const { c, answer } of this.queue.splice(0)) chainAnswer(target.call(c), answer)
      target.release()
      return
    }
    this.target = target
    this.forward = undefined
    const queue = this.queue
    this.queue = []
    for (const { c, answer } of queue) {
      const inner = target.call(c)
      chainAnswer(inner, answer)
    }
    for (const cb of this.resolveCbs.splice(0)) cb(target)
  }
}

/** Makes `outer` follow `inner`: same results, same pipelines, cancel passes through. */
export function chainAnswer (inner: AnswerHook, outer: PendingAnswer): void {
  outer.onCancel = () => { inner.cancel() }
  outer.makePipeline = (transform) => {
    const p = new PromiseHook()
    p.resolve(inner.pipeline(transform))
    return p
  }
  outer.follow(inner)
  // Settled already (a handler that returned at once): no promise hop.
  if (inner instanceof PendingAnswer && inner.response !== undefined) outer.resolve(inner.response)
  else if (inner instanceof PendingAnswer && inner.error !== undefined) outer.reject(inner.error)
  else inner.promise.then((r) => { outer.resolve(r) }, (err) => { outer.reject(err) })
}

export function disconnectedHook (why: string): ErrorHook { return new ErrorHook(new Disconnected(why)) }
