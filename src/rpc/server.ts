// Local capabilities: a server object (generated XServer interface) exported as a CapHook.
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { Unimplemented } from '../errors.js'
import { type AnswerHook, type CapHook, type OutCall, PendingAnswer, Response, releaseCaps } from './hooks.js'

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
}

export type Handler = (params: any, results: any, ctx: CallContext) => void | Promise<void>

/** interfaceId -> methodId -> method, including inherited interfaces. */
export type DispatchTable = Map<bigint, MethodInfo[]>

/** Creates a Return message with its results payload ready to fill. */
export function newResultsMessage (): { msg: capnp.Message, ret: rpc.Return, payload: rpc.Payload } {
  const msg = new capnp.Message()
  const root = msg.initRoot(rpc.Message)
  const ret = root._initReturn()
  ret.releaseParamCaps = false
  const payload = ret._initResults()
  return { msg, ret, payload }
}

export function paramsPayload (msg: capnp.Message): rpc.Payload {
  return new rpc.Message(msg.getSegment(0), 0).call.params
}

/** A local server: dispatches calls to handler methods of `impl`. */
export class LocalHook implements CapHook {
  private refs = 1

  constructor (readonly impl: object, readonly table: DispatchTable) {}

  call (c: OutCall): AnswerHook {
    const answer = new PendingAnswer()
    const method = this.table.get(c.interfaceId)?.[c.methodId]
    const handler = method !== undefined ? (this.impl as Record<string, Handler | undefined>)[method.name] : undefined
    if (method === undefined || typeof handler !== 'function') {
      releaseCaps(c.msg)
      answer.reject(new Unimplemented(`method @${c.methodId} of interface 0x${c.interfaceId.toString(16)} is not implemented`))
      return answer
    }
    const abort = new AbortController()
    if (c.signal !== undefined) {
      if (c.signal.aborted) abort.abort()
      else c.signal.addEventListener('abort', () => { abort.abort() }, { once: true })
    }
    answer.onCancel = () => { abort.abort() }
    const ctx: CallContext = { signal: abort.signal, interfaceId: c.interfaceId, methodId: c.methodId }
    this.addRef()
    const finish = (): void => { releaseCaps(c.msg); this.release() }
    let out: ReturnType<typeof newResultsMessage> | undefined
    try {
      const params = capnp.utils.getStruct(0, method.Params, paramsPayload(c.msg))
      out = newResultsMessage()
      const results = capnp.utils.initStructAt(0, method.Results, out.payload)
      const ret = handler.call(this.impl, params, results, ctx)
      if (ret instanceof Promise) {
        const o = out
        ret.then(() => { finish(); answer.resolve(new Response(o.msg, o.payload)) },
          (err) => { finish(); releaseCaps(o.msg); answer.reject(asError(err)) })
      } else {
        finish()
        answer.resolve(new Response(out.msg, out.payload))
      }
    } catch (err) {
      finish()
      if (out !== undefined) releaseCaps(out.msg)
      answer.reject(asError(err))
    }
    return answer
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

export function asError (err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
