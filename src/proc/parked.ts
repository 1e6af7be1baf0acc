// A guest waiting without a promise, and the guests woken since: the local hand-off between two guests.
//
// A ww_recv that must wait on a channel of this host returns a `Parked` (its driver's, re-armed for each wait)
// instead of a promise: the channel tells the receiving host call in the very step a sender hands a message over
// (Chan.recvThen), the message is delivered into the guest's memory there, and the guest is put on the ready list.
// It runs from there a few microtasks later, as a promise's callback would have, with no promise made, or sooner: a guest
// about to wait itself first runs one ready guest in its own host call (`runReadyGuest`). Two guests in a
// ping-pong then hand the turn to each other: the pinger's send wakes the echo, the pinger's recv runs the echo at
// once, the echo's answer is there when it finishes, and the pinger takes it without suspending. Only one guest
// runs nested in another at a time; a guest runs nested only when it was already woken, so it runs earlier than
// its microtask would have, never out of its turn with respect to its own channel.

import { logger } from '../log.js'

const log = logger('ww:proc')

const IDLE = 0
const ARMED = 1
const WOKEN = 2

export class Parked {
  private state = IDLE
  private value: unknown
  private error: unknown
  private failed = false
  /** Told when the wait ends (set once the guest suspended on it). */
  listener: (() => void) | undefined

  /** Ready for a new wait. */
  arm (): this {
    this.state = ARMED
    this.value = this.error = undefined
    this.failed = false
    this.listener = undefined
    return this
  }

  /** The wait ended with `v` (a host call's result); later wakes and failures of the same wait do nothing. */
  wake (v: unknown): void {
    if (this.state !== ARMED) return
    this.state = WOKEN
    this.value = v
    this.listener?.()
  }

  /** The wait ended with the guest's end (what the host call threw). */
  fail (err: unknown): void {
    if (this.state !== ARMED) return
    this.state = WOKEN
    this.failed = true
    this.error = err
    this.listener?.()
  }

  get woken (): boolean { return this.state === WOKEN }

  /** The wait's result, once woken: its value, or what it failed with, thrown. It is over. */
  take (): unknown {
    this.state = IDLE
    this.listener = undefined
    const { value, error, failed } = this
    this.value = this.error = undefined
    if (failed) throw error
    return value
  }
}

/** A guest that can be run from the ready list. */
export interface ReadyGuest {
  /** Resumes the guest with its wait's result, if it still waits on it. */
  runWoken: () => void
}

const ready: ReadyGuest[] = []
let drainQueued = false
let nested = false

function drain (): void {
  drainQueued = false
  // the guests ready now; those they wake run in the next microtask, as promise callbacks would
  for (let n = ready.length; n > 0 && ready.length > 0; n--) runGuarded(ready.shift()!)
  if (ready.length > 0) queueDrain()
}

/**
 * The ready guests run three microtask hops after the first was woken, as late as the promise chain this replaces
 * resumed them (the channel's promise, the host call's, the driver's): a producer in JS that awaits each send still
 * fills the guest's buffer meanwhile, and the guest then takes what is buffered without suspending.
 */
function queueDrain (): void {
  if (drainQueued) return
  drainQueued = true
  queueMicrotask(hop2)
}
// a guest that ran the ready one itself (runReadyGuest) leaves nothing to drain: the hops stop there
function hop2 (): void { if (ready.length > 0) queueMicrotask(hop3); else drainQueued = false }
function hop3 (): void { if (ready.length > 0) queueMicrotask(drain); else drainQueued = false }

function runGuarded (g: ReadyGuest): void {
  try {
    g.runWoken()
  } catch (err) {
    log.error('resuming a guest failed: %s', err)
  }
}

/** Puts a woken guest on the ready list; it runs in a microtask unless a guest about to wait runs it first. */
export function makeReady (g: ReadyGuest): void {
  ready.push(g)
  queueDrain()
}

/** Runs the longest-ready guest now, inside the caller's host call, unless one runs so already; true if one ran. */
export function runReadyGuest (): boolean {
  if (nested || ready.length === 0) return false
  nested = true
  try {
    runGuarded(ready.shift()!)
  } finally {
    nested = false
  }
  return true
}
