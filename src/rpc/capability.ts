// The public face: Capability (a reference you own), Answer (a promise of results with pipelining).
import * as capnp from 'capnp-es'
import { InvalidArgument } from '../errors.js'
import { ANSWER_SETTLED, type AnswerHook, type AnswerWatcher, type CapHook, ErrorHook, PendingAnswer, type Response, addCap, capAt, releaseCaps } from './hooks.js'
import { type DispatchTable, LocalHook, type MethodInfo } from './server.js'
import { CALL_CONTENT_PTR, callParams, newCallMessage, resolvedStruct, structAt } from './wire/envelope.js'
import { defaultRpcLimits } from './limits.js'
import { EMPTY_RESULTS, defaultResults } from './wire/empty-results.js'
import { setCapPointer } from './wire/fields.js'
import { streamWindowOf } from './stream-window.js'

export interface CallOptions {
  /** Aborting cancels the call (Finish is sent; the server's ctx.signal aborts). */
  signal?: AbortSignal
  /**
   * The results serve only to pipeline further calls (Call.onlyPromisePipeline): a peer that
   * honours it sends no Return and exports nothing for them. Awaiting the answer fails; its
   * pipelined capabilities work until it is released (which sends the Finish), as when a call is
   * canceled. Ignored for a call with capabilities in its params.
   */
  onlyPipeline?: boolean
}

const registry = new FinalizationRegistry<CapHook>((hook) => { hook.release() })

export type ClientClass<C extends Capability> = new (hook: CapHook, owned?: boolean) => C

/** A reference to a capability. Owned references must be released (release() or `using`). */
export class Capability {
  #hook: CapHook | undefined
  readonly #owned: boolean

  constructor (hook: CapHook, owned = true) {
    this.#hook = hook
    this.#owned = owned
    if (owned) registry.register(this, hook, this)
  }

  /** The hook, for the RPC layer. Throws once released. */
  get hook (): CapHook {
    if (this.#hook === undefined) throw new InvalidArgument('capability used after release')
    return this.#hook
  }

  get released (): boolean { return this.#hook === undefined }

  /** A new owned reference to the same capability. */
  dup (): this {
    const C = this.constructor as ClientClass<this>
    return new C(this.hook.addRef(), true)
  }

  /** A typed view (new owned reference). */
  as<C extends Capability>(Client: ClientClass<C>): C { return new Client(this.hook.addRef(), true) }

  release (): void {
    const h = this.#hook
    if (h === undefined || !this.#owned) return
    this.#hook = undefined
    registry.unregister(this)
    h.release()
  }

  [Symbol.dispose] (): void { this.release() }

  /** Starts a call; `build` fills the params. */
  call<P extends capnp.Struct, R extends capnp.Struct, PL>(method: MethodInfo<P, R>, build?: (params: P) => void,
    options?: CallOptions, Pipeline?: new (answer: Answer<R, PL>, path: number[]) => PL): Answer<R, PL> {
    const msg = newCallMessage(method.interfaceId, method.methodId, method.Params)
    try {
      const params = msg.struct ?? capnp.utils.initStructAt(0, method.Params, callParams(msg.msg))
      build?.(params)
    } catch (err) {
      releaseCaps(msg.msg)
      throw err
    }
    const hook = this.hook.call({ interfaceId: method.interfaceId, methodId: method.methodId, msg: msg.msg,
      contentPtr: msg.struct !== undefined ? CALL_CONTENT_PTR : undefined, signal: options?.signal, onlyPipeline: options?.onlyPipeline })
    return new Answer(hook, method.Results, options, Pipeline)
  }

  /** A `-> stream` call: resolves when the bytes in flight on this capability (every reference to it) fit the window. */
  async stream<P extends capnp.Struct>(method: MethodInfo<P, capnp.Struct>, build?: (params: P) => void, window?: number): Promise<void> {
    // the window: the argument, else the connection's limits.streamWindowBytes, else the default
    const owner = this.hook.resolved().owner as { limits?: { streamWindowBytes?: number } } | undefined
    const windowBytes = window ?? owner?.limits?.streamWindowBytes ?? defaultRpcLimits.streamWindowBytes
    const flow = streamWindowOf(this.hook)
    flow.check()
    const msg = newCallMessage(method.interfaceId, method.methodId, method.Params)
    const params = msg.struct ?? capnp.utils.initStructAt(0, method.Params, callParams(msg.msg))
    build?.(params)
    const size = msg.msg._capnp.segments.reduce((n, s) => n + s.byteLength, 0)
    const hook = this.hook.call({ interfaceId: method.interfaceId, methodId: method.methodId, msg: msg.msg, contentPtr: msg.struct !== undefined ? CALL_CONTENT_PTR : undefined, stream: true })
    await flow.sent(size, hook.promise.then((r) => { r.release() }), windowBytes)
  }

  /** Waits until every stream call made on this capability (by any reference to it) has returned; throws the first error. */
  async streamDone (): Promise<void> {
    await streamWindowOf(this.hook).done()
  }
}

/** Exports a server object as a capability (owned). */
export function serve<C extends Capability>(Client: ClientClass<C>, impl: object, table: DispatchTable): C {
  return new Client(new LocalHook(impl, table), true)
}

/**
 * The server object behind `cap` when it is served in this process (by `serve`, after any promises it resolved to);
 * undefined for a capability its peer hosts, a promise not yet resolved, or a broken capability.
 */
export function localServer (cap: Capability): object | undefined {
  const hook = cap.hook.resolved()
  return hook instanceof LocalHook ? hook.impl : undefined
}

/** A broken capability: every call fails with `err`. */
export function brokenCapability<C extends Capability>(Client: ClientClass<C>, err: Error): C {
  return new Client(new ErrorHook(err), true)
}

/**
 * The answer to a call: a promise of the results reader, plus pipelined capabilities.
 * Everything reachable from it lives until release(); releasing before it settles cancels the call.
 */
export class Answer<R extends capnp.Struct, PL = unknown> implements PromiseLike<R>, AnswerWatcher {
  #hook: AnswerHook | undefined
  #results?: Promise<R>
  #resolveResults?: (r: R) => void = undefined
  #rejectResults?: (err: Error) => void = undefined
  #taken?: Capability[] = undefined // made on first use: no array literal per call (see questions.ts on pretenuring)
  /** The results, once they are in and until release (or detach). */
  #response?: Response = undefined
  #error?: Error = undefined
  #settled = false
  #detached = false
  /** Registered for finalization (only results holding capabilities are). */
  #registered = false
  #pipeline?: PL
  readonly #pipelineOnly: boolean

  constructor (hook: AnswerHook, private readonly Results: capnp.StructCtor<R>, options?: CallOptions,
    private readonly Pipeline?: new (answer: Answer<R, PL>, path: number[]) => PL) {
    this.#hook = hook
    this.#pipelineOnly = options?.onlyPipeline === true
    const signal = options?.signal
    // A PendingAnswer tells this object when it settles; any other answer, through its promise.
    if (!(hook instanceof PendingAnswer && hook.watch(this))) {
      hook.promise.then((r) => { this[ANSWER_SETTLED](r, undefined) }, (err) => { this[ANSWER_SETTLED](undefined, err) })
    }
    if (signal !== undefined) {
      if (signal.aborted) {
        this.release()
      } else {
        // A signal may outlive many calls (a proc's, say): drop the listener once this one settles.
        const onAbort = (): void => { if (!this.#settled) this.release() }
        signal.addEventListener('abort', onAbort, { once: true })
        const forget = (): void => { signal.removeEventListener('abort', onAbort) }
        hook.promise.then(forget, forget)
      }
    }
  }

  [ANSWER_SETTLED] (r: Response | undefined, err: Error | undefined): void {
    this.#settled = true
    if (r === undefined) {
      this.#error = err
      this.#rejectResults?.(err!)
      this.#resolveResults = this.#rejectResults = undefined
      return
    }
    if (this.#resolveResults !== undefined) {
      try { this.#resolveResults(this.#read(r)) } catch (e) { this.#rejectResults!(e as Error) }
      this.#resolveResults = this.#rejectResults = undefined
    }
    if (this.#detached) return
    if (this.#hook === undefined) { r.release(); return }
    this.#response = r
    if (r.caps.length > 0) {
      registry.register(this, { release: () => { r.release() } } as unknown as CapHook, this)
      this.#registered = true
    }
  }

  #read (r: Response): R {
    return (r.contentPtr !== undefined ? structAt(r.msg.getSegment(0), r.contentPtr, this.Results, r.depth - 1) : undefined) ??
      (r.msg === EMPTY_RESULTS ? defaultResults(this.Results) : capnp.utils.getStruct(0, this.Results, r.payload))
  }

  get results (): Promise<R> {
    if (this.#results === undefined) {
      const hook = this.#hook
      if (hook === undefined) return Promise.reject(new InvalidArgument('answer used after release'))
      if (this.#pipelineOnly) return Promise.reject(new InvalidArgument('the call was made with onlyPipeline: its results do not come back'))
      const r = this.#response
      if (r !== undefined) {
        try { this.#results = resolvedStruct(this.Results, this.#read(r)) } catch (e) { this.#results = Promise.reject(e) }
      } else if (this.#error !== undefined) {
        this.#results = Promise.reject(this.#error)
      } else {
        this.#results = new Promise((resolve, reject) => { this.#resolveResults = resolve; this.#rejectResults = reject })
      }
    }
    return this.#results
  }

  then<A = R, B = never>(onfulfilled?: ((value: R) => A | PromiseLike<A>) | null, onrejected?: ((reason: any) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.results.then(onfulfilled, onrejected)
  }

  catch<B = never>(onrejected?: ((reason: any) => B | PromiseLike<B>) | null): Promise<R | B> { return this.results.catch(onrejected) }
  finally (f?: (() => void) | null): Promise<R> { return this.results.finally(f) }

  /** Typed pipeline getters for the results struct. */
  get pipeline (): PL {
    if (this.Pipeline === undefined) throw new InvalidArgument('no pipeline for this answer')
    this.#pipeline ??= new this.Pipeline(this, [])
    return this.#pipeline
  }

  /** The capability at a pointer path of the results, usable now (borrowed: lives until release()). */
  pipelineCap<C extends Capability>(path: number[], Client: ClientClass<C>): C {
    const hook = this.#hook
    const cap = new Client(hook === undefined ? new ErrorHook(new InvalidArgument('answer used after release')) : hook.pipeline(path), true)
    ;(this.#taken ??= []).push(cap)
    return cap
  }

  release (): void {
    const hook = this.#hook
    if (hook === undefined) return
    this.#hook = undefined
    if (this.#registered) registry.unregister(this)
    if (!this.#settled) hook.cancel()
    this.#releaseTaken()
    this.#response?.release()
    this.#response = undefined
  }

  [Symbol.dispose] (): void { this.release() }

  #releaseTaken (): void {
    const taken = this.#taken
    this.#taken = undefined
    if (taken !== undefined) for (const c of taken) c.release()
  }

  /**
   * For the RPC layer (tail calls): takes the answer's hook, and with it the results, away from
   * this object, which then acts as released (without canceling the call).
   */
  detach (): AnswerHook {
    const hook = this.#hook
    if (hook === undefined) throw new InvalidArgument('answer used after release')
    this.#hook = undefined
    this.#detached = true
    if (this.#registered) registry.unregister(this)
    this.#releaseTaken()
    this.#response = undefined
    return hook
  }
}

/** Accessors for one capability field of a struct (generated into `<Struct>$Caps`). */
export interface CapField<C extends Capability> {
  /** Borrowed: valid while the message is (dup() to keep). A null pointer gives a broken capability. */
  get: (s: capnp.Struct) => C
  has: (s: capnp.Struct) => boolean
  /** Stores a reference of its own in the message; `cap` stays yours. */
  set: (s: capnp.Struct, cap: Capability | null) => void
}

export function capField<C extends Capability>(pointerIndex: number, client: () => ClientClass<C>): CapField<C> {
  return {
    get (s) {
      const Client = client()
      let hook: CapHook | null
      try { hook = capAt(capnp.utils.getPointer(pointerIndex, s)) } catch (err) { hook = new ErrorHook(err as Error) }
      return new Client(hook ?? new ErrorHook(new InvalidArgument('null capability')), false)
    },
    has (s) { return !capnp.utils.isNull(capnp.utils.getPointer(pointerIndex, s)) },
    set (s, cap) {
      if (cap === null) { capnp.utils.erase(capnp.utils.getPointer(pointerIndex, s)); return }
      const capIndex = addCap(s.segment.message, cap.hook.addRef())
      if (!setCapPointer(s, pointerIndex, capIndex)) capnp.utils.setInterfacePointer(capIndex, capnp.utils.getPointer(pointerIndex, s))
    }
  }
}
