// Spare instances: after a proc of a module has run its first slice, one more instance of that module is made
// ahead, so the module's next spawn takes it instead of instantiating (the largest step of a spawn, and the slowest
// after the node idled). A spare is bound to no proc until one takes it (bound-instance.ts): it runs nothing, and its
// memory is exactly what instantiation gives, under the same compiled memory maximum. Modules with a wasm start
// section get none (instantiating runs guest code). The most recently spawned modules keep theirs, within
// maxSpareInstances and spareMemoryBytes. The executor makes spares only while its pacer lets spawn work run at
// once: in a burst of spawns each instantiates its own, paced as before.

import { logger } from '../log.js'
import { BoundInstance } from './bound-instance.js'
import { MEMORY_EXPORT } from './abi.js'
import type { RuntimeLimits } from './limits.js'
import { runsStartFunction } from './wasm-start.js'

const log = logger('ww:proc:spares')

interface Spare { bound: BoundInstance, bytes: number }

export class SpareInstances {
  /** By module, least recently spawned first. */
  private readonly spares = new Map<WebAssembly.Module, Spare>()
  private bytes = 0
  /** Modules whose spare failed or did not fit: they instantiate per spawn. */
  private readonly refused = new WeakSet<WebAssembly.Module>()
  /** Spawns that took a spare, and spares made. */
  taken = 0
  made = 0

  constructor (private readonly limits: Pick<RuntimeLimits, 'maxSpareInstances' | 'spareMemoryBytes'>) {}

  get held (): number { return this.spares.size }
  get heldBytes (): number { return this.bytes }

  /** The module's spare, if there is one; the caller binds it. */
  take (module: WebAssembly.Module): BoundInstance | undefined {
    const s = this.spares.get(module)
    if (s === undefined) return undefined
    this.spares.delete(module)
    this.bytes -= s.bytes
    this.taken++
    return s.bound
  }

  /** Makes the module's spare now if it has none (a proc of it just ran its first slice). */
  refill (module: WebAssembly.Module): void {
    if (this.limits.maxSpareInstances <= 0 || this.spares.has(module) || this.refused.has(module)) return
    if (runsStartFunction(module) !== false) { this.refused.add(module); return }
    let bound: BoundInstance
    try {
      bound = new BoundInstance(module)
    } catch (err) {
      log('no spare for a module: %s', (err as Error).message)
      this.refused.add(module)
      return
    }
    const bytes = memoryBytes(bound.instance)
    if (bytes > this.limits.spareMemoryBytes) { this.refused.add(module); return }
    for (const [m, s] of this.spares) {
      if (this.spares.size < this.limits.maxSpareInstances && this.bytes + bytes <= this.limits.spareMemoryBytes) break
      this.spares.delete(m)
      this.bytes -= s.bytes
    }
    this.spares.set(module, { bound, bytes })
    this.bytes += bytes
    this.made++
  }

  /** Lets every spare go. */
  clear (): void {
    this.spares.clear()
    this.bytes = 0
  }
}

function memoryBytes (instance: WebAssembly.Instance): number {
  const m = instance.exports.memory ?? instance.exports[MEMORY_EXPORT]
  return m instanceof WebAssembly.Memory ? m.buffer.byteLength : 0
}
