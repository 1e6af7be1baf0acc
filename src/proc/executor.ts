// The executor core: spawns procs from module bytes or hashes, keeps them by pid, kills them.
// The host layer wraps it as the Executor capability; the guest world decides what procs can reach.

import { logger } from '../log.js'
import { Canceled, NotFound } from '../errors.js'
import { DEFAULT_RUNTIME_LIMITS, procLimits, type ProcLimits, type RuntimeLimits } from './limits.js'
import { hashHex, type ModuleCache, type ModuleFetcher, type PrepareStep } from './module-cache.js'
import { PacedJobs } from './paced-jobs.js'
import { MemoryPids, type PidSource } from './pids.js'
import { Proc, type ProcInfo } from './proc.js'
import { SpareInstances } from './spares.js'
import { OWNER, Quotas, type Account } from './quota.js'
import type { ExitReason, ExitStatus } from './signals.js'
import type { Sink, Source } from './wasi.js'
import type { GuestWorld, Message, ProcCap, RecverCap } from './world.js'

const log = logger('ww:proc:executor')

export interface SpawnOptions {
  /** The module: its bytes, or its SHA-256 (fetched with `fetch` when this host lacks it). */
  module: { bytes: Uint8Array } | { hash: Uint8Array, fetch?: ModuleFetcher }
  args?: string[]
  env?: string[]
  limits?: Partial<ProcLimits>
  /** The anchor path (components) the proc sees as "/"; [] = the cluster root. */
  root?: string[]
  /** argv[0]; defaults to the module hash. */
  name?: string
  /** Where output goes; without one, proc.stdout/proc.stderr are channels to read. */
  stdout?: Sink
  stderr?: Sink
  /** Without sinks: output to the log and channels ('chan', the default) or to the log only. */
  output?: 'chan' | 'log'
  /** Told when a slow step of the spawn begins (fetching the module, preparing it); it lasts until the next one or until spawn settles. */
  onStep?: (step: PrepareStep) => void
  /** Where input comes from: a source, or 'chan' for a channel (proc.stdin) the caller sends to and closes at EOF. Default: empty. */
  stdin?: Source | 'chan'
  /** Who the proc is charged to (quota.ts): the spawning peer; its children are charged to it too. Default: OWNER. */
  account?: Account
}

/** What the executor needs to know about a proc to build its world. */
export interface WorldContext {
  executor: Executor
  root: string[]
  pid: number
  /** Who the proc is charged to: the account its own spawns go to. */
  account: Account
  /** The proc's limits: its children's are these or narrower (child-limits.ts). */
  limits: ProcLimits
}

export interface ExecutorOptions {
  cache: ModuleCache
  /** Builds each proc's world (anchors, channels, spawning). */
  world: (ctx: WorldContext) => GuestWorld
  limits?: Partial<RuntimeLimits>
  /** Where pids come from (default: 1, 2, ... in memory). */
  pids?: PidSource
}

export class Executor {
  private readonly cache: ModuleCache
  private readonly worldFor: (ctx: WorldContext) => GuestWorld
  readonly limits: RuntimeLimits
  private readonly procs = new Map<number, Proc>()
  private readonly exited = new Map<number, Proc>()
  private readonly pids: PidSource
  readonly quotas: Quotas
  /** The procs' work that can wait its turn (instantiating, resuming a guest at the end of its fuel slice), paced so the event loop keeps turning. */
  private readonly turns: PacedJobs
  /** An instance made ahead for each recently spawned module: its next spawn skips instantiating. */
  readonly spares: SpareInstances
  /** Log bytes the exited procs hold (their logs no longer grow). */
  private exitedLogBytes = 0
  /** How many procs ended, by reason, since the executor started (for metrics). */
  readonly ended: Record<ExitReason, number> = { exited: 0, killed: 0, outOfFuel: 0, outOfMemory: 0, trapped: 0, timedOut: 0 }

  constructor (opts: ExecutorOptions) {
    this.cache = opts.cache
    this.worldFor = opts.world
    this.limits = { ...DEFAULT_RUNTIME_LIMITS, ...opts.limits }
    this.pids = opts.pids ?? new MemoryPids()
    this.quotas = new Quotas(this.limits)
    this.turns = new PacedJobs(this.limits.guestMsPerTurn)
    this.spares = new SpareInstances(this.limits)
  }

  get moduleCache (): ModuleCache { return this.cache }
  get running (): number { return this.procs.size }

  /** LimitExceeded past a quota (quota.ts), before any work is done. */
  async spawn (opts: SpawnOptions): Promise<Proc> {
    const limits = procLimits(opts.limits)
    const account = opts.account ?? OWNER
    const share = this.quotas.charge(account, limits.memoryBytes)
    let proc: Proc
    try {
      proc = await this.start(opts, limits, account)
    } catch (err) {
      share.release()
      throw err
    }
    proc.onEnd(() => { share.release() })
    return proc
  }

  private async start (opts: SpawnOptions, limits: ProcLimits, account: Account): Promise<Proc> {
    const hash = 'bytes' in opts.module ? await this.cache.add(opts.module.bytes, opts.onStep) : opts.module.hash
    const module = this.cache.ready(hash, limits.memoryBytes) ??
      await this.cache.compiled(hash, limits.memoryBytes, 'fetch' in opts.module ? opts.module.fetch : undefined, opts.onStep)
    const root = opts.root ?? []
    const make = (): Proc => {
      const pid = this.pids.next()
      const p = new Proc({
        pid,
        name: opts.name ?? hashHex(hash),
        module,
        moduleHash: hash,
        args: opts.args ?? [],
        env: opts.env ?? [],
        limits,
        runtime: this.limits,
        world: this.worldFor({ executor: this, root, pid, account, limits }),
        stdout: opts.stdout,
        stderr: opts.stderr,
        output: opts.output,
        stdin: opts.stdin,
        pacer: this.turns,
        spare: this.spares.take(module),
        // paced like spawns: in a burst (jobs queued) spawns instantiate their own; when this spawn alone spent the
        // turn's budget (a loaded machine), the spare is made in the next turn
        afterFirstSlice: () => {
          const refill = (): void => { this.spares.refill(module) }
          if (this.turns.canRunNow) this.turns.runNow(refill)
          else if (this.turns.idle) void this.turns.run(refill).catch(err => { log('spare not made: %s', (err as Error).message) })
        }
      })
      this.procs.set(pid, p)
      p.onEnd(ended => this.retire(ended))
      p.start()
      return p
    }
    // spares the promise and its hops when it may run now (the usual case)
    const proc = this.turns.canRunNow ? this.turns.runNow(make) : await this.turns.run(make)
    log('spawned proc %d (%s) for %s', proc.pid, proc.name, account)
    return proc
  }

  private retire (p: Proc): void {
    const reason = p.exitStatus?.reason
    if (reason !== undefined) this.ended[reason]++
    this.procs.delete(p.pid)
    this.exited.set(p.pid, p)
    this.exitedLogBytes += logBytesOf(p)
    while (this.exited.size > this.limits.maxExitedKept) {
      const oldest = this.exited.values().next().value as Proc
      this.exitedLogBytes -= logBytesOf(oldest)
      this.exited.delete(oldest.pid)
    }
    // the oldest logs go first; a discarded log tells its readers that it was dropped
    for (const e of this.exited.values()) {
      if (this.exitedLogBytes <= this.limits.maxExitedLogBytes) break
      this.exitedLogBytes -= logBytesOf(e)
      e.log.stdout.discard()
      e.log.stderr.discard()
    }
  }

  ps (): ProcInfo[] {
    return [...this.procs.values(), ...this.exited.values()].map(p => p.info()).sort((a, b) => a.pid - b.pid)
  }

  /** NotFound for an unknown pid. */
  proc (pid: number): Proc {
    const p = this.procs.get(pid) ?? this.exited.get(pid)
    if (p === undefined) throw new NotFound(`no proc ${pid} on this host`)
    return p
  }

  kill (pid: number): void {
    this.proc(pid).kill()
  }

  /** Kills every running proc and waits for them to end. */
  async close (): Promise<void> {
    this.spares.clear()
    const all = [...this.procs.values()]
    for (const p of all) p.kill('executor closed')
    await Promise.all(all.map(async p => await p.wait()))
  }
}

const logBytesOf = (p: Proc): number => p.log.stdout.keptBytes + p.log.stderr.keptBytes

/** A proc as a capability a guest can hold. */
export function procCap (proc: Proc): ProcCap {
  return {
    kind: 'proc',
    wait: async (opts) => await raceSignal(proc.wait(), opts?.signal),
    kill: () => proc.kill(),
    stdout: (): RecverCap => ({
      kind: 'recver',
      recv: async (opts) => {
        if (proc.stdout === undefined) throw new NotFound(`proc ${proc.pid}'s stdout goes elsewhere`)
        const data = await proc.stdout.recv(opts)
        const msg: Message = { data }
        return msg
      }
    })
  }
}

async function raceSignal<T> (p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await p
  if (signal.aborted) throw new Canceled('wait canceled')
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Canceled('wait canceled'))
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(v => { signal.removeEventListener('abort', onAbort); resolve(v) }, err => { signal.removeEventListener('abort', onAbort); reject(err) })
  })
}

export type { ExitStatus }
