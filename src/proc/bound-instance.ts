// An instance whose imports call the host functions of the proc it is bound to. It is instantiated either for its
// proc (bound first, so a start function finds its host) or ahead of any proc, as a spare (spares.ts), and bound
// once, to the proc that takes it. Its import functions are built at instantiation; binding only hands over the
// proc's host functions and asyncify driver, so taking a spare builds no import object and no closures.

import { InvalidArgument, LimitExceeded } from '../errors.js'
import type { AsyncifyDriver, HostFn } from './asyncify.js'
import type { Parked } from './parked.js'
import { ProcEnd } from './signals.js'

/** One import of a module, with the label its errors use. */
export interface PlannedImport { module: string, name: string, label: string }

/** A module's function imports in the order its instances' import functions are built; worked out once per module. */
type ImportPlan = PlannedImport[] | InvalidArgument

const importPlans = new WeakMap<WebAssembly.Module, ImportPlan>()

/** The module's imports; InvalidArgument if it imports anything but functions. */
export function importPlan (module: WebAssembly.Module): PlannedImport[] {
  let plan = importPlans.get(module)
  if (plan === undefined) {
    const list: PlannedImport[] = []
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== 'function') { plan = new InvalidArgument(`module imports ${imp.kind} ${imp.module}.${imp.name}; only functions can be imported`); break }
      list.push({ module: imp.module, name: imp.name, label: `${imp.module}.${imp.name}` })
    }
    plan ??= list
    importPlans.set(module, plan)
  }
  if (plan instanceof InvalidArgument) throw new InvalidArgument(plan.message)
  return plan
}

/** Imports whose host function declares at most this many parameters get a wrapper without a rest array. */
const FIXED_ARITY = 4

/**
 * The number of parameters each import's host function declares (`fn.length`), learnt from the procs that bound
 * them: the same for every proc (the host tables are the same code), so a spare, made before its proc's functions
 * are known, gets the wrapper its first proc's would. Unknown (0) means the generic wrapper, which passes any number.
 * A host function must declare every parameter it reads (no `arguments`, no rest after named ones).
 */
const arities = new Map<string, number>()

/** A spare's import was called before a proc took it: only a start function could do that. */
export class Unbound extends Error {
  constructor (label: string) { super(`${label} called while instantiating, before any proc took the instance`); this.name = 'Unbound' }
}

export class BoundInstance {
  readonly instance: WebAssembly.Instance
  private driver: AsyncifyDriver | undefined
  /** The proc's host functions, in importPlan order, and what each is called on (its `this`). */
  private fns: HostFn[] = []
  private selves: unknown[] = []
  /** Which imports have the fixed-arity wrapper (their host function declares 1 to FIXED_ARITY parameters and no rest). */
  private readonly fixed: boolean[] = []

  /** Instantiates `module`, bound at once to `driver` and `fns` when given (else a spare, for bind()). */
  constructor (readonly module: WebAssembly.Module, driver?: AsyncifyDriver, fns?: HostFn[], selves?: unknown[]) {
    const plan = importPlan(module)
    if (driver !== undefined && fns !== undefined && selves !== undefined) this.bind(driver, fns, selves)
    const imports: Record<string, Record<string, (...a: any[]) => unknown>> = {}
    for (let i = 0; i < plan.length; i++) {
      const { module: from, name, label } = plan[i]
      imports[from] ??= {}
      const arity = fns?.[i]?.length ?? arities.get(label) ?? 0
      // the host calls a guest makes on every message (ww.send, ww.recv, ww.release) take four numbers or fewer: their
      // wrapper passes them as they are, with no array per call
      this.fixed[i] = arity > 0 && arity <= FIXED_ARITY
      imports[from][name] = this.fixed[i] ? this.fixedWrapper(i, label, arity) : this.genericWrapper(i, label)
    }
    this.instance = instantiate(module, imports)
  }

  /** The driver, once bound; a spare's import called before that is a start function's. */
  private bound_ (label: string): AsyncifyDriver {
    const d = this.driver
    if (d === undefined) throw new Unbound(label)
    return d
  }

  /** Calls import `i`'s host function; a Promise from it suspends the guest. */
  private call (dr: AsyncifyDriver, i: number, label: string, a?: unknown, b?: unknown, c?: unknown, d?: unknown): unknown {
    if (dr.isRewinding) return dr.resumed()
    const r = this.fns[i].call(this.selves[i], a, b, c, d)
    return typeof r === 'object' && r !== null ? dr.suspend(label, r as Promise<unknown> | Parked) : r
  }

  /**
   * A wrapper declaring exactly the import's parameters (wasm calls a JS function of matching arity the fast way),
   * passing them on as they are, with no array per call.
   */
  private fixedWrapper (i: number, label: string, arity: number): (...a: any[]) => unknown {
    switch (arity) {
      case 1: return (a: unknown) => this.call(this.bound_(label), i, label, a)
      case 2: return (a: unknown, b: unknown) => this.call(this.bound_(label), i, label, a, b)
      case 3: return (a: unknown, b: unknown, c: unknown) => this.call(this.bound_(label), i, label, a, b, c)
      default: return (a: unknown, b: unknown, c: unknown, d: unknown) => this.call(this.bound_(label), i, label, a, b, c, d)
    }
  }

  private genericWrapper (i: number, label: string): (...a: any[]) => unknown {
    return (...args: any[]) => this.bound_(label).invoke(label, this.fns[i], this.selves[i], args)
  }

  get bound (): boolean { return this.driver !== undefined }

  /** Hands the instance to a proc: its driver and its host functions, one per import in importPlan order, with their `this`. */
  bind (driver: AsyncifyDriver, fns: HostFn[], selves: unknown[]): void {
    if (this.driver !== undefined) throw new Error('instance is bound already')
    const plan = importPlan(this.module)
    for (let i = 0; i < plan.length; i++) {
      // a wrapper made for fewer arguments than this host function takes would drop some: refuse rather than do so
      if (this.fixed[i] === true && fns[i].length > FIXED_ARITY) throw new Error(`${plan[i].label} takes ${fns[i].length} arguments; its wrapper passes ${FIXED_ARITY}`)
      arities.set(plan[i].label, fns[i].length)
    }
    this.driver = driver
    this.fns = fns
    this.selves = selves
  }
}

/** new WebAssembly.Instance, with its failures as typed errors (the spawn fails, the node does not). */
function instantiate (module: WebAssembly.Module, imports: WebAssembly.Imports): WebAssembly.Instance {
  try {
    return new WebAssembly.Instance(module, imports)
  } catch (err) {
    if (err instanceof ProcEnd) throw new InvalidArgument(err.message)
    if (err instanceof RangeError) throw new LimitExceeded(`cannot instantiate: ${err.message}`)
    throw new InvalidArgument(`cannot instantiate: ${(err as Error).message}`)
  }
}
