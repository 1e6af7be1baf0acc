// A proc's capability handles: small non-negative integers, never reused while held.

import { LimitExceeded } from '../errors.js'
import type { Cap } from './world.js'

export class BadHandle extends Error {
  constructor (h: number) { super(`no handle ${h}`); this.name = 'BadHandle' }
}

export class HandleTable {
  private readonly caps = new Map<number, Cap>()
  private next = 1

  constructor (private readonly max: number) {}

  get size (): number { return this.caps.size }

  add (cap: Cap): number {
    if (this.caps.size >= this.max) throw new LimitExceeded(`a proc may hold at most ${this.max} handles`)
    const h = this.next++
    this.caps.set(h, cap)
    return h
  }

  get (h: number): Cap {
    const cap = this.caps.get(h)
    if (cap === undefined) throw new BadHandle(h)
    return cap
  }

  release (h: number): void {
    if (!this.caps.delete(h)) throw new BadHandle(h)
  }

  clear (): void { this.caps.clear() }
}
