// Local capabilities: a server object (generated XServer interface) exported as a CapHook.
import * as capnp from 'capnp-es'
import { InvalidArgument, Unimplemented } from '../errors.js'
import * as rpc from 'capnp-es/capnp/rpc'
import type { StreamWindow } from './stream-window.js'
import { type AnswerHook, type CapHook, EMPTY_RESPONSE, NO_DEPTH_LIMIT, type OutCall, PendingAnswer, Response, chainAnswer, releaseCaps } from './hooks.js'
import type { Answer } from './capability.js'
import { RETURN_CONTENT_PTR, callParams, emptyStruct, newResultsMessage, structAt } from './wire/envelope.js'
import { EMPTY_RESULTS, EMPTY_RESULTS_AT, isEmptyStruct } from './wire/empty-results.js'
import { consumed } from './wire/call-buffers.js'

export interface MethodInfo<P extends capnp.Struct = capnp.Struct, R extends capnp.Struct = capnp.Struct> {
  interfaceId: bigint
  methodId: number
  name: string
  Params: capnp.StructCtor<P>
  Results: capnp.StructCtor<R>
  stream?: boolean
}

/** What a handler gets besides params and results. */
export interface CallContext {
  /** Aborts when the caller cancels or the connection goes away. */
  readonly signal: AbortSignal
  readonly interfaceId: bigint
  readonly methodId: number
  /**
   * Makes this call's results those of `answer` (another call's): the caller gets them, and its
   * pipelined calls follow them. Takes over `answer` (do not release it). Call it at most once;
   * whatever the handler wrote to its own results is dropped.
   */
  tailCall (answer: Answer<any, any>): void
  /**
   * The caller only pipelines on the results (its call was made with onlyPipeline): a call this
   * handler tail-calls can be made so too, and then no Return comes back on either hop.
   */
  readonly onlyPipeline: boolean
}

export type Handler = (params: any, results: any, ctx: CallContext) => void | Promise<void>

/** interfaceId -> methodId -> method, including inherited interfaces. */
export type DispatchTable = Map<bigint, MethodInfo[]>

/**
 * A local server: dispatches calls to handler methods of `impl`. Like the C++ LocalClient, a
 * `-> stream` call whose handler is still running blocks the object: later calls (stream or not)
 * wait in order until it finishes, so a server sees one streaming call at a time, in order.
 */
export class LocalHook implements CapHook {
  private refs = 1
  streamWindow?: StreamWindow = undefined
  private blocked = false
  private readonly waiting: Array<{ c: OutCall, answer: PendingAnswer }> = []

  constructor (readonly impl: object, readonly table: DispatchTable) {}

  call (c: OutCall): AnswerHook {
    const answer = new PendingAnswer()
    this.callInto(c, answer)
    return answer
  }

  /** A call whose outcome settles `answer` (a connection's answer entry: no answer to chain to it). */
  callInto (c: OutCall, answer: PendingAnswer): void {
    if (this.blocked) {
      this.addRef()
      this.waiting.push({ c, answer })
    } else {
      this.dispatch(c, answer)
    }
  }

  /** Runs queued calls in order until one blocks the object again. */
  private unblock (): void {
    this.blocked = false
    while (!this.blocked && this.waiting.length > 0) {
      const { c, answer } = this.waiting.shift()!
      if (answer.settled) releaseCaps(c.msg) // canceled while it waited
      else this.dispatch(c, answer)
      this.release()
    }
  }

  /** The methods of the interface called last (most servers are called on one): no Map lookup by BigInt per call. */
  private lastInterface = -1n
  private lastMethods: MethodInfo[] | undefined = undefined

  private dispatch (c: OutCall, answer: PendingAnswer): void {
    if (c.interfaceId !== this.lastInterface) {
      this.lastMethods = this.table.get(c.interfaceId)
      this.lastInterface = c.interfaceId
    }
    const method = this.lastMethods?.[c.methodId]
    const handler = method !== undefined ? (this.impl as Record<string, Handler | undefined>)[method.name] : undefined
    if (method === undefined || typeof handler !== 'function') {
      releaseCaps(c.msg)
      answer.reject(new Unimplemented(`method @${c.methodId} of interface 0x${c.interfaceId.toString(16)} is not implemented`))
      return
    }
    const ctx = new HandlerContext(c)
    this.addRef()
    let out: Results | undefined
    try {
      const depth = c.params?._capnp.depthLimit ?? c.depth ?? NO_DEPTH_LIMIT
      const params = (c.contentPtr !== undefined ? structAt(c.msg.getSegment(0), c.contentPtr, method.Params, depth - 1) : undefined) ??
        capnp.utils.getStruct(0, method.Params, c.params ?? (c.paramsAt !== undefined ? new rpc.Payload(c.msg.getSegment(0), c.paramsAt, depth) : callParams(c.msg)))
      out = emptyResultsOf(method) ?? newResultsMessage(method.Results)
      const results = out.struct ?? capnp.utils.initStructAt(0, method.Results, new rpc.Payload(out.msg.getSegment(0), out.payloadAt))
      const ret = handler.call(this.impl, params, results, ctx)
      if (ret instanceof Promise) {
        // Only a handler still running can be canceled (a Finish cannot arrive while it runs).
        answer.onCancel = () => { ctx.cancel() }
        const o = out
        const streaming = method.stream === true
        if (streaming) this.blocked = true
        ret.then(() => { this.finish(ctx, c); settle(ctx, answer, o); if (streaming) this.unblock() },
          (err) => { this.finish(ctx, c); releaseCaps(o.msg); fail(ctx, answer, err); if (streaming) this.unblock() })
      } else {
        this.finish(ctx, c)
        settle(ctx, answer, out)
      }
    } catch (err) {
      this.finish(ctx, c)
      if (out !== undefined) releaseCaps(out.msg)
      fail(ctx, answer, err)
    }
  }

  /** The handler of `c` is done with its params. */
  private finish (ctx: HandlerContext, c: OutCall): void {
    ctx.done()
    releaseCaps(c.msg)
    consumed(c.msg)
    this.release()
  }

  addRef (): CapHook { this.refs++; return this }

  release (): void {
    if (this.refs <= 0) return
    if (--this.refs !== 0) return
    const dispose = (this.impl as { [Symbol.dispose]?: () => void })[Symbol.dispose]
    if (typeof dispose === 'function') {
      try { dispose.call(this.impl) } catch { /* a server's cleanup failing must not break the caller */ }
    }
  }

  resolved (): CapHook { return this }
}

type Results = ReturnType<typeof newResultsMessage>

/** On each method: the results every call of it shares when they hold nothing (made once), else null. */
const EMPTY_OUT = Symbol('ww.emptyResults')
type WithEmptyOut = MethodInfo & { [EMPTY_OUT]?: Results | null }

function emptyResultsOf (method: MethodInfo): Results | undefined {
  let out = (method as WithEmptyOut)[EMPTY_OUT]
  if (out === undefined) {
    out = isEmptyStruct(method.Results) ? { msg: EMPTY_RESULTS, payloadAt: EMPTY_RESULTS_AT, struct: emptyStruct(method.Results) } : null
    Object.defineProperty(method, EMPTY_OUT, { value: out })
  }
  return out ?? undefined
}

/** The handler returned: `answer` gets its results, or those of the call it tail-called. */
function settle (ctx: HandlerContext, answer: PendingAnswer, o: Results): void {
  const tail = ctx.tail
  if (tail === undefined) {
    if (o.msg === EMPTY_RESULTS) { answer.resolve(EMPTY_RESPONSE); return }
    const r = new Response(o.msg, o.payloadAt)
    if (o.struct !== undefined) r.contentPtr = RETURN_CONTENT_PTR
    answer.resolve(r)
    return
  }
  releaseCaps(o.msg)
  if (answer.settled) tail.cancel() // the caller gave up meanwhile
  chainAnswer(tail, answer)
}

function fail (ctx: HandlerContext, answer: PendingAnswer, err: unknown): void {
  ctx.tail?.cancel()
  answer.reject(asError(err))
}

/** The CallContext of one call; its AbortSignal is made only if the handler asks for it. */
class HandlerContext implements CallContext {
  #abort?: AbortController
  #canceled = false
  tail?: AnswerHook
  readonly interfaceId: bigint
  readonly methodId: number
  constructor (private readonly call: OutCall) {
    this.interfaceId = call.interfaceId
    this.methodId = call.methodId
  }

  #forget?: () => void

  get onlyPipeline (): boolean { return this.call.onlyPipeline === true }

  get signal (): AbortSignal {
    if (this.#abort === undefined) {
      const abort = this.#abort = new AbortController()
      const caller = this.call.signal
      if (this.#canceled || caller?.aborted === true) {
        abort.abort()
      } else if (caller !== undefined) {
        const onAbort = (): void => { abort.abort() }
        caller.addEventListener('abort', onAbort, { once: true })
        this.#forget = () => { caller.removeEventListener('abort', onAbort) }
      }
    }
    return this.#abort.signal
  }

  /** The handler is finished: stop listening to the caller's signal (it may outlive this call). */
  done (): void {
    this.#forget?.()
    this.#forget = undefined
  }

  cancel (): void {
    this.#canceled = true
    this.#abort?.abort()
  }

  tailCall (answer: Answer<any, any>): void {
    if (this.tail !== undefined) throw new InvalidArgument('tailCall() called twice')
    const tail = this.tail = answer.detach()
    const c = this.call
    if (c.origin !== undefined && c.answerId !== undefined) c.origin.tailCall(c.answerId, tail)
  }
}

export function asError (err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
