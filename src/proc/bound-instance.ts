// An instance whose imports call the host functions of the proc it is bound to. It is instantiated either for its
// proc (bound first, so a start function finds its host) or ahead of any proc, as a spare (spares.ts), and bound
// once, to the proc that takes it. Its import functions are built at instantiation; binding only hands over the
// proc's host functions and asyncify driver, so taking a spare builds no import object and no closures.

import { InvalidArgument, LimitExceeded } from '../errors.js'
import type { AsyncifyDriver, HostFn } from './asyncify.js'
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

  /** Instantiates `module`, bound at once to `driver` and `fns` when given (else a spare, for bind()). */
  constructor (readonly module: WebAssembly.Module, driver?: AsyncifyDriver, fns?: HostFn[], selves?: unknown[]) {
    const plan = importPlan(module)
    if (driver !== undefined && fns !== undefined && selves !== undefined) this.bind(driver, fns, selves)
    const imports: Record<string, Record<string, (...a: any[]) => unknown>> = {}
    for (let i = 0; i < plan.length; i++) {
      const { module: from, name, label } = plan[i]
      imports[from] ??= {}
      imports[from][name] = (...args: any[]) => {
        const d = this.driver
        if (d === undefined) throw new Unbound(label)
        return d.invoke(label, this.fns[i], this.selves[i], args)
      }
    }
    this.instance = instantiate(module, imports)
  }

  get bound (): boolean { return this.driver !== undefined }

  /** Hands the instance to a proc: its driver and its host functions, one per import in importPlan order, with their `this`. */
  bind (driver: AsyncifyDriver, fns: HostFn[], selves: unknown[]): void {
    if (this.driver !== undefined) throw new Error('instance is bound already')
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
