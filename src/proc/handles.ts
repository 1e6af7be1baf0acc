// A proc's capability handles: small non-negative integers, never reused while held.
// A handle owns one reference of its capability's CapRef: add() takes it over, release() and
// clear() give it back, so dropping a guest's last handle lets the capability's resources go.

import { Closed, LimitExceeded } from '../errors.js'
import type { Cap } from './world.js'

export class BadHandle extends Error {
  constructor (h: number) { super(`no handle ${h}`); this.name = 'BadHandle' }
}

export class HandleTable {
  private readonly caps = new Map<number, Cap>()
  private next = 1
  private cleared = false

  constructor (private readonly max: number) {}

  get size (): number { return this.caps.size }

  /** Takes over one reference of `cap` (released here when the table is full). */
  add (cap: Cap): number {
    if (this.cleared) { // the proc ended: a capability that reaches it late is let go at once
      cap.ref?.release()
      throw new Closed('the proc has ended')
    }
    if (this.caps.size >= this.max) {
      cap.ref?.release()
      throw new LimitExceeded(`a proc may hold at most ${this.max} handles`)
    }
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
    const cap = this.caps.get(h)
    if (cap === undefined) throw new BadHandle(h)
    this.caps.delete(h)
    cap.ref?.release()
  }

  /** Releases every handle; later adds are refused (the proc ended). */
  clear (): void {
    this.cleared = true
    const all = [...this.caps.values()]
    this.caps.clear()
    for (const cap of all) cap.ref?.release()
  }
}
