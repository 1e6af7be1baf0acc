// RPC calls and failed calls by method, counted as the connections see them (their CallObserver).
// The count is two array increments behind a map lookup by interface ID, with no allocation: the labels
// are made only when the counters are read.
import type { CallObserver } from '../rpc/index.js'
import type { MethodNames } from './method-names.js'

/** Counts of one interface's methods; index = method ID. */
interface InterfaceCounts { calls: Float64Array, errors: Float64Array }

export interface MethodCount { method: string, calls: number, errors: number }

export class CallCounts implements CallObserver {
  private readonly byInterface = new Map<bigint, InterfaceCounts>()
  /** Calls to interfaces or methods the schema does not name, counted under "unknown". */
  private unknown: { calls: number, errors: number } = { calls: 0, errors: 0 }

  constructor (private readonly names: MethodNames) {
    for (const [id, methods] of names) {
      this.byInterface.set(id, { calls: new Float64Array(methods.length), errors: new Float64Array(methods.length) })
    }
  }

  call (interfaceId: bigint, methodId: number): void {
    const c = this.byInterface.get(interfaceId)
    if (c !== undefined && methodId < c.calls.length) c.calls[methodId]++
    else this.unknown.calls++
  }

  error (interfaceId: bigint, methodId: number): void {
    const c = this.byInterface.get(interfaceId)
    if (c !== undefined && methodId < c.errors.length) c.errors[methodId]++
    else this.unknown.errors++
  }

  /** Every method called at least once, with its counts. */
  read (): MethodCount[] {
    const out: MethodCount[] = []
    for (const [id, c] of this.byInterface) {
      const names = this.names.get(id)!
      for (let m = 0; m < c.calls.length; m++) {
        if (c.calls[m] > 0) out.push({ method: names[m], calls: c.calls[m], errors: c.errors[m] })
      }
    }
    if (this.unknown.calls > 0) out.push({ method: 'unknown', ...this.unknown })
    return out
  }
}
