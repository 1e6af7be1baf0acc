// One running guest: instantiated from a compiled, transformed module and run on the event loop.
// It ends exactly once, with an ExitStatus; everything it holds is then released.

import { logger } from '../log.js'
import { Chan } from '../csp/index.js'
import { Closed } from '../errors.js'
import { FUEL_GLOBAL_EXPORT, MEMORY_EXPORT, RUNTIME_MODULE, SDK_ASYNCIFY_BUFFER_EXPORT, SDK_ASYNCIFY_SIZE_EXPORT, STACK_POINTER_EXPORT, WASI_MODULE, WW_MODULE } from './abi.js'
import { AsyncifyDriver, CannotSuspend, type HostFn, ScratchOverflow, YIELD } from './asyncify.js'
import { BoundInstance, importPlan, type PlannedImport } from './bound-instance.js'
import type { PacedJobs } from './paced-jobs.js'
import { GuestMemory } from './guest-memory.js'
import { OutputLog } from './output-log.js'
import { sendSoon } from './send-now.js'
import type { ProcLimits, RuntimeLimits } from './limits.js'
import { ended, type ExitStatus, ProcEnd } from './signals.js'
import { type Sink, type Source, Wasi, WASI_CALLS, wasiNotImplemented } from './wasi.js'
import type { GuestWorld } from './world.js'
import { WwHost } from './ww-host.js'
import { InvalidArgument } from '../errors.js'

const log = logger('ww:proc')
const STACK_ALIGN = 16

export type ProcState = 'running' | 'exited'

export interface ProcInfo {
  pid: number
  name: string
  moduleHash: Uint8Array
  args: string[]
  startedMs: number
  /** Set once it ended. */
  endedMs?: number
  /** How long it has run (running) or ran (exited). */
  uptimeMs: number
  state: ProcState
  status?: ExitStatus
  limits: ProcLimits
}

export interface ProcOptions {
  pid: number
  name: string
  module: WebAssembly.Module
  moduleHash: Uint8Array
  /** argv[1..]; argv[0] is the name. */
  args: string[]
  /** "K=V" pairs. */
  env: string[]
  limits: ProcLimits
  runtime: RuntimeLimits
  /** Builds the proc's world once its abort signal exists. */
  world: GuestWorld
  stdout?: Sink
  stderr?: Sink
  /**
   * Without a sink, output goes to the proc's log and, with 'chan' (the default), also to the
   * channels proc.stdout/proc.stderr; with 'log' only to the log.
   */
  output?: 'chan' | 'log'
  stdin?: Source | 'chan'
  /** Where a guest preempted at the end of its fuel slice waits its turn (none: the next turn of the event loop). */
  pacer?: PacedJobs
  /** An instance of `module` made ahead, bound to no proc yet (spares.ts); without one the proc instantiates its own. */
  spare?: BoundInstance
  /** Called once the guest has run its first slice (it suspended, yielded or ended): when the node can make a spare. */
  afterFirstSlice?: () => void
}

/** Resolves on a later turn of the event loop, after I/O and timers had a chance to run. */
export function nextTurn (): Promise<void> {
  return new Promise(resolve => setImmediate(resolve))
}

/**
 * The SDK's asyncify area of each module, asked of its first instance: the SDKs (C and AssemblyScript) place it
 * statically, so every instance has it at the same address, and later spawns skip two calls into the guest.
 */
const sdkAreas = new WeakMap<WebAssembly.Module, { ptr: number, size: number }>()

export class Proc {
  readonly pid: number
  readonly name: string
  readonly moduleHash: Uint8Array
  readonly args: string[]
  readonly startedMs = Date.now()
  private endedMs: number | undefined
  /** What it wrote, the last RuntimeLimits.logBytes of each stream. */
  readonly log: { readonly stdout: OutputLog, readonly stderr: OutputLog }
  private readonly noOutChan: boolean
  private readonly noErrChan: boolean
  /** With stdin 'chan': the guest's input; close it for end of input. */
  readonly stdin: Chan<Uint8Array> | undefined
  private outChan: Chan<Uint8Array> | undefined
  private errChan: Chan<Uint8Array> | undefined
  private status: ExitStatus | undefined
  private readonly done = deferred<ExitStatus>()
  private abortCtl: AbortController | undefined
  private endReason: ProcEnd | undefined
  private readonly driver: AsyncifyDriver
  private readonly memory = new GuestMemory()
  private readonly host: WwHost
  private instance: WebAssembly.Instance
  private readonly limits: ProcLimits
  private readonly runtime: RuntimeLimits
  private fuelLeft: number
  private fuelGlobal: WebAssembly.Global | undefined
  private sliceGiven = 0
  private timer: NodeJS.Timeout | undefined
  private running = false
  private readonly onExit: Array<(p: Proc) => void> = []
  private readonly pacer: PacedJobs | undefined
  private readonly afterFirstSlice: (() => void) | undefined

  constructor (opts: ProcOptions) {
    this.pid = opts.pid
    this.name = opts.name
    this.moduleHash = opts.moduleHash
    this.args = opts.args
    this.limits = opts.limits
    this.runtime = opts.runtime
    this.pacer = opts.pacer
    this.afterFirstSlice = opts.afterFirstSlice
    this.driver = new AsyncifyDriver(opts.pacer)
    this.fuelLeft = opts.limits.fuel > 0 ? opts.limits.fuel : Infinity
    if (opts.stdin === 'chan') this.stdin = new Chan<Uint8Array>(opts.runtime.stdioCapacity)
    const stdinChan = this.stdin
    const stdin: Source | undefined = stdinChan !== undefined
      ? async () => await stdinChan.recv({ signal: this.signal }).catch(() => undefined)
      : opts.stdin === 'chan' ? undefined : opts.stdin
    const logOnly = opts.output === 'log'
    this.noOutChan = opts.stdout !== undefined || logOnly
    this.noErrChan = opts.stderr !== undefined || logOnly
    this.log = { stdout: new OutputLog(opts.runtime.logBytes), stderr: new OutputLog(opts.runtime.logBytes) }
    const logged = (log: OutputLog, sink: Sink | undefined, chan: () => Chan<Uint8Array> | undefined): Sink => chunk => {
      log.append(chunk)
      if (sink !== undefined) return sink(chunk)
      const c = chan()
      return c === undefined ? undefined : sendSoon(c, chunk)
    }
    const yieldNow = nextTurn
    this.host = new WwHost({
      memory: this.memory,
      world: opts.world,
      limits: opts.runtime,
      signal: () => this.signal,
      endReason: () => this.endReason,
      selfHash: opts.moduleHash,
      pid: opts.pid,
      yieldNow,
      park: () => this.driver.park()
    })
    const wasi = new Wasi(this.memory, {
      args: [opts.name, ...opts.args],
      env: opts.env,
      stdout: logged(this.log.stdout, opts.stdout, () => this.stdout),
      stderr: logged(this.log.stderr, opts.stderr, () => this.stderr),
      stdin,
      yieldNow,
      sleep: async ms => { await sleepUntilEnd(ms, this.signal) }
    })
    const plan = importPlan(opts.module)
    const fns = new Array<HostFn>(plan.length)
    const selves = new Array<unknown>(plan.length)
    this.hostFunctions(plan, wasi, fns, selves)
    if (opts.spare !== undefined) opts.spare.bind(this.driver, fns, selves)
    this.instance = (opts.spare ?? new BoundInstance(opts.module, this.driver, fns, selves)).instance
    const memory = memoryOf(this.instance)
    this.memory.attach(memory)
    this.fuelGlobal = this.instance.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global | undefined
    this.attachScratch(opts.module, memory)
    // a guest that could not be suspended would hold the event loop for as long as it computes
    if (!this.driver.canSuspend) throw new InvalidArgument('module cannot be made preemptible: its memory has no room for a suspend area (it is empty and may not grow)')
  }

  /** Fills in the proc's host function for each import of the module (importPlan order), and what it is called on. */
  private hostFunctions (plan: PlannedImport[], wasi: Wasi, fns: HostFn[], selves: unknown[]): void {
    for (let i = 0; i < plan.length; i++) {
      const { module: from, name, label } = plan[i]
      let fn: HostFn | undefined
      if (from === WW_MODULE) fn = this.host.importFn(name) as HostFn | undefined
      else if (from === WASI_MODULE) { fn = WASI_CALLS.get(name) ?? wasiNotImplemented; selves[i] = wasi }
      else if (from === RUNTIME_MODULE && name === 'out_of_fuel') fn = () => this.outOfFuel()
      else if (from === RUNTIME_MODULE && name === 'out_of_memory') fn = () => { throw ended('outOfMemory', `out of memory: the limit is ${this.limits.memoryBytes} bytes`) }
      if (fn === undefined) throw new InvalidArgument(`module imports ${label}, which this host does not provide`)
      fns[i] = fn
    }
  }

  /**
   * The asyncify scratch area: the SDK's buffer if it exports one, else carved off the top of the C stack, else
   * lent by the guest from the start of its memory (asyncify.ts), so that every guest can be suspended.
   */
  private attachScratch (module: WebAssembly.Module, memory: WebAssembly.Memory | undefined): void {
    const ex = this.instance.exports
    const bufFn = ex[SDK_ASYNCIFY_BUFFER_EXPORT] as (() => number) | undefined
    const sizeFn = ex[SDK_ASYNCIFY_SIZE_EXPORT] as (() => number) | undefined
    if (typeof bufFn === 'function' && typeof sizeFn === 'function') {
      let area = sdkAreas.get(module)
      if (area === undefined) sdkAreas.set(module, area = { ptr: bufFn() >>> 0, size: sizeFn() >>> 0 })
      this.driver.attach(this.instance, memory, area.ptr, area.size)
      return
    }
    const sp = ex[STACK_POINTER_EXPORT] as WebAssembly.Global | undefined
    const size = this.runtime.asyncifyStackBytes
    if (sp !== undefined && (sp.value as number) >>> 0 > size * 2) {
      const top = ((sp.value as number) >>> 0) - size
      const base = top - (top % STACK_ALIGN)
      sp.value = base
      this.driver.attach(this.instance, memory, base, size)
      return
    }
    if (memory !== undefined && memory.buffer.byteLength === 0) {
      try { memory.grow(1) } catch { /* its maximum is 0: it cannot lend an area */ }
    }
    this.driver.attach(this.instance, memory, 0, Math.min(size, memory?.buffer.byteLength ?? 0), true)
  }

  /** Called by the fuel hook when a slice is used up: end, or refill and yield to the event loop. */
  private outOfFuel (): undefined | Promise<undefined> {
    // the counter starts at 0: a wasm start function (run while instantiating) stops at its first check
    if (this.fuelGlobal === undefined) throw ended('trapped', 'the module has a start function; guests start at _start')
    this.fuelLeft -= this.sliceGiven
    if (this.endReason !== undefined) throw this.endReason
    if (this.fuelLeft <= 0) throw ended('outOfFuel', `out of fuel: used the budget of ${this.limits.fuel}`)
    this.refill()
    // before _start (an SDK export called while attaching) there is nothing to suspend to
    if (!this.running) return undefined
    return this.pacer === undefined ? nextTurn().then(() => undefined) : YIELD
  }

  private refill (): void {
    this.sliceGiven = Math.min(this.runtime.fuelSlice, this.fuelLeft)
    if (this.fuelGlobal !== undefined) this.fuelGlobal.value = fuelValue(this.sliceGiven)
  }

  /** Starts the guest on the next turn of the event loop (spawn returns first); wait() tells how it ended. */
  start (): void {
    if (this.limits.timeoutMs > 0) {
      this.timer = setTimeout(() => this.end(ended('timedOut', `timed out after ${this.limits.timeoutMs} ms`)), this.limits.timeoutMs)
      this.timer.unref?.()
    }
    this.refill()
    const entry = this.instance.exports._start as (() => void) | undefined
    if (typeof entry !== 'function') {
      this.finish({ reason: 'trapped', code: -1, message: 'module exports no _start function' })
      return
    }
    setImmediate(() => {
      if (this.status !== undefined) return
      this.running = true
      this.driver.run(entry).then(
        () => this.finish({ reason: 'exited', code: 0, message: 'exited with code 0' }),
        err => this.finish(statusOf(err))
      )
      this.afterFirstSlice?.()
    })
  }

  /** Aborted when the proc ends; withdraws its pending host operations. Created on first use. */
  private get signal (): AbortSignal {
    if (this.abortCtl === undefined) {
      this.abortCtl = new AbortController()
      if (this.endReason !== undefined) this.abortCtl.abort(this.endReason)
    }
    return this.abortCtl.signal
  }

  /** The guest's stdout as a channel of chunks (one per write), closed at exit; undefined when the spawner gave a sink or output 'log'. */
  get stdout (): Chan<Uint8Array> | undefined {
    if (this.noOutChan) return undefined
    this.outChan ??= this.stdioChan()
    return this.outChan
  }

  get stderr (): Chan<Uint8Array> | undefined {
    if (this.noErrChan) return undefined
    this.errChan ??= this.stdioChan()
    return this.errChan
  }

  private stdioChan (): Chan<Uint8Array> {
    const c = new Chan<Uint8Array>(this.runtime.stdioCapacity)
    if (this.status !== undefined) c.close()
    return c
  }

  get state (): ProcState { return this.status === undefined ? 'running' : 'exited' }
  get exitStatus (): ExitStatus | undefined { return this.status }
  get suspensions (): number { return this.driver.suspensions }

  wait (): Promise<ExitStatus> { return this.done.promise }

  /** Ends the proc with `killed`, whether it is blocked in a host call or running (next fuel check). */
  kill (message = 'killed'): void {
    this.end(ended('killed', message))
  }

  onEnd (fn: (p: Proc) => void): void {
    if (this.status !== undefined) fn(this)
    else this.onExit.push(fn)
  }

  info (): ProcInfo {
    return {
      pid: this.pid,
      name: this.name,
      moduleHash: this.moduleHash,
      args: this.args,
      startedMs: this.startedMs,
      endedMs: this.endedMs,
      uptimeMs: (this.endedMs ?? Date.now()) - this.startedMs,
      state: this.state,
      status: this.status,
      limits: { ...this.limits }
    }
  }

  /** Interrupts the guest: a blocked one is abandoned now, a running one at its next fuel check. */
  private end (why: ProcEnd): void {
    if (this.status !== undefined || this.endReason !== undefined) return
    if (!this.running) { this.finish(why.status); return }
    this.endReason = why
    this.abortCtl?.abort(why)
    if (this.fuelGlobal !== undefined) this.fuelGlobal.value = 0n
    this.sliceGiven = 0
    this.driver.interrupt(why)
  }

  private finish (status: ExitStatus): void {
    if (this.status !== undefined) return
    this.status = status
    this.endedMs = Date.now()
    this.endReason ??= new ProcEnd(status)
    this.abortCtl?.abort(this.endReason)
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.host.clear()
    // an exited proc stays listed for a while: let its instance and memory go now
    this.driver.detach()
    this.memory.attach(undefined)
    this.fuelGlobal = undefined
    this.instance = undefined as unknown as WebAssembly.Instance
    this.outChan?.close()
    this.errChan?.close()
    this.log.stdout.close()
    this.log.stderr.close()
    this.stdin?.close()
    log('proc %d (%s) ended: %s', this.pid, this.name, status.message)
    this.done.resolve(status)
    for (const fn of this.onExit.splice(0)) fn(this)
  }
}

let lastFuel = 0
let lastFuelValue = 0n

/** BigInt(n), kept for the last n: nearly every refill gives a whole fuel slice. */
function fuelValue (n: number): bigint {
  if (n !== lastFuel) { lastFuel = n; lastFuelValue = BigInt(n) }
  return lastFuelValue
}

/** The guest's memory: the one it exports as "memory", else the one the load pipeline exported. */
function memoryOf (instance: WebAssembly.Instance): WebAssembly.Memory | undefined {
  const m = instance.exports.memory ?? instance.exports[MEMORY_EXPORT]
  return m instanceof WebAssembly.Memory ? m : undefined
}

/** Waits `ms`, or less if `signal` aborts first (the proc ended: its timer must not outlive it). */
async function sleepUntilEnd (ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>(resolve => {
    const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve() }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

interface Deferred<T> { promise: Promise<T>, resolve: (v: T) => void, reject: (e: unknown) => void }

function deferred<T> (): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

function statusOf (err: unknown): ExitStatus {
  if (err instanceof ProcEnd) return err.status
  if (err instanceof CannotSuspend || err instanceof ScratchOverflow) return { reason: 'trapped', code: -1, message: `trapped: ${err.message}` }
  if (err instanceof WebAssembly.RuntimeError) return { reason: 'trapped', code: -1, message: `trapped: ${err.message}` }
  if (err instanceof RangeError && /call stack/i.test(err.message)) return { reason: 'trapped', code: -1, message: `trapped: ${err.message}` }
  if (err instanceof Closed) return { reason: 'trapped', code: -1, message: err.message }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  log.error('proc failed with a host error: %s', message)
  return { reason: 'trapped', code: -1, message }
}
