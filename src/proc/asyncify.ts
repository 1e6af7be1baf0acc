// Drives an asyncified guest on the event loop. A host import that returns a Promise unwinds the
// guest stack into the scratch area; the driver awaits the promise, rewinds and calls the export
// again; on re-entry the import sees the rewind and returns the awaited value instead of running.
//
// A guest with no room of its own for the scratch area (no SDK buffer, no C stack to carve one from) lends
// one: the bytes there are saved before asyncify writes its data and put back as soon as the unwind (or
// the rewind) is over, so the guest, which runs only before and after, never sees them change.

import type { PacedJobs } from './paced-jobs.js'
import { makeReady, Parked, type ReadyGuest } from './parked.js'

interface AsyncifyExports {
  asyncify_start_unwind: (ptr: number) => void
  asyncify_stop_unwind: () => void
  asyncify_start_rewind: (ptr: number) => void
  asyncify_stop_rewind: () => void
  asyncify_get_state: () => number
}

/** The guest cannot suspend (no scratch area); the import that wanted to block fails the proc. */
export class CannotSuspend extends Error {
  constructor (what: string) { super(`${what} would block, but the guest has no asyncify scratch area (link the ww SDK)`); this.name = 'CannotSuspend' }
}

/** The guest's stack did not fit the scratch area while suspending. */
export class ScratchOverflow extends Error {
  constructor (bytes: number) { super(`the guest's call stack is too deep to suspend (the ${bytes}-byte asyncify scratch area is full)`); this.name = 'ScratchOverflow' }
}

/**
 * What a host function returns to let others run (the fuel hook at the end of a slice): the guest suspends and
 * resumes in its turn among the pacer's jobs, so busy guests take at most the pacer's budget of each turn of
 * the event loop.
 */
export const YIELD: Promise<undefined> = Promise.resolve(undefined)

export type HostFn = (this: any, ...args: any[]) => number | bigint | undefined | Parked | Promise<number | bigint | undefined>

export class AsyncifyDriver implements ReadyGuest {
  constructor (private readonly pacer?: PacedJobs) {}

  /** The one wait without a promise this guest can be in (parked.ts), re-armed by each host call that parks. */
  private readonly parked = new Parked()
  /** Resumes the guest with the result of the wait it is in (set while it runs). */
  private resumeWith: ((v: unknown) => void) | undefined
  private readonly readied = (): void => { makeReady(this) }

  private exports: AsyncifyExports | undefined
  private memory: WebAssembly.Memory | undefined
  private dataPtr = 0
  private dataSize = 0
  /** The scratch area is lent by the guest (see above): its own bytes while asyncify uses it, else asyncify's data. */
  private lent = false
  private aside: Uint8Array | undefined
  private view: DataView | undefined
  private pending: Promise<unknown> | Parked | undefined
  private rewinding = false
  private resumeValue: unknown
  /** Number of suspensions so far. */
  suspensions = 0

  /** Set after instantiation: the asyncify exports and the scratch area [ptr, ptr+size) of `memory`, `lent` by the guest or its own. */
  attach (instance: WebAssembly.Instance, memory: WebAssembly.Memory | undefined, dataPtr: number, dataSize: number, lent = false): void {
    this.exports = instance.exports as unknown as AsyncifyExports
    this.memory = memory
    this.dataPtr = dataPtr
    this.dataSize = dataSize
    this.lent = lent
  }

  /** With a lent area: puts the bytes set aside back, setting aside what is there now. */
  private swapScratch (): void {
    if (!this.lent) return
    const bytes = new Uint8Array(this.memory!.buffer, this.dataPtr, this.dataSize)
    const now = bytes.slice()
    if (this.aside !== undefined) bytes.set(this.aside)
    this.aside = now
  }

  /** Drops the instance (the proc ended). */
  detach (): void {
    this.exports = undefined
    this.memory = undefined
    this.pending = undefined
    this.resumeValue = undefined
    this.aside = undefined
    this.view = undefined
    this.wake = undefined
    this.resumeWith = undefined
  }

  get canSuspend (): boolean { return this.dataSize > 16 && this.exports?.asyncify_start_unwind !== undefined }

  /** Calls host function `fn` (import `name`) with `self` as `this` for the guest: a Promise it returns suspends the guest. */
  invoke (name: string, fn: HostFn, self: unknown, args: any[]): unknown {
    if (this.rewinding) return this.resumed()
    const r = fn.apply(self, args)
    return r instanceof Promise || r instanceof Parked ? this.suspend(name, r) : r
  }

  /** True while the guest rewinds: the next import it reaches is the one that suspended, and returns `resumed()`. */
  get isRewinding (): boolean { return this.rewinding }

  /** The first import reached while rewinding is the one that suspended: it returns the result. */
  resumed (): unknown {
    this.rewinding = false
    this.exports!.asyncify_stop_rewind()
    this.swapScratch() // the guest's bytes back; asyncify's data set aside is stale now
    this.aside = undefined
    const v = this.resumeValue
    this.resumeValue = undefined
    return v
  }

  /** A wait without a promise for a host call to return: woken (Parked.wake) in the step that ends it. */
  park (): Parked { return this.parked.arm() }

  /** From the ready list: resumes the guest parked on `parked`, once woken. */
  runWoken (): void {
    if (!this.waiting || this.pending !== undefined || !this.parked.woken) return
    let v: unknown
    try {
      v = this.parked.take()
    } catch (err) {
      this.wake?.(err)
      return
    }
    this.resumeWith?.(v)
  }

  /** Import `name` returned `r`, a Promise or this driver's Parked: the guest unwinds, to be resumed with its result. */
  suspend (name: string, r: Promise<unknown> | Parked): unknown {
    if (!this.canSuspend) {
      if (r instanceof Promise) r.catch(() => {})
      throw new CannotSuspend(name)
    }
    this.swapScratch() // the guest's bytes aside
    // a new view only after the memory grew (which detaches the old buffer): memory.buffer is slow to read
    if (this.view === undefined || this.view.buffer.byteLength === 0) this.view = new DataView(this.memory!.buffer)
    this.view.setUint32(this.dataPtr, this.dataPtr + 8, true)
    this.view.setUint32(this.dataPtr + 4, this.dataPtr + this.dataSize, true)
    this.pending = r
    this.exports!.asyncify_start_unwind(this.dataPtr)
    return 0
  }

  /** Abandons the wait the guest is suspended in, if any. */
  private wake: ((reason: unknown) => void) | undefined
  private waiting = false
  private interrupted: { reason: unknown } | undefined

  /** Abandons the guest: a pending wait rejects with `reason` now; it is never resumed. */
  interrupt (reason: unknown): void {
    this.interrupted ??= { reason }
    this.wake?.(reason)
  }

  /** Calls `entry` until it returns without suspending; rejects when the guest fails or is interrupted. */
  run (entry: () => unknown): Promise<void> {
    const ex = this.exports!
    let resuming = false
    /** Runs the guest until it returns (true) or suspends (false). */
    const segment = (): boolean => {
      if (this.interrupted !== undefined) throw this.interrupted.reason
      if (resuming) {
        this.swapScratch() // asyncify's data back, the guest's bytes (which host calls may have written meanwhile) aside
        ex.asyncify_start_rewind(this.dataPtr)
        this.rewinding = true
      }
      try {
        entry()
        if (this.pending === undefined) return true
        ex.asyncify_stop_unwind()
        this.swapScratch() // the guest's bytes back, asyncify's data aside
        return false
      } catch (err) {
        // a trap while unwinding is asyncify's bounds check on the scratch area (stop_unwind checks it)
        if (this.pending !== undefined && err instanceof WebAssembly.RuntimeError) throw new ScratchOverflow(this.dataSize)
        throw err
      }
    }
    // Continues in the callbacks of the promise the guest waits on, not by awaiting it: a guest that
    // suspends on every message would otherwise pay for a promise and two microtask hops more each time.
    return new Promise<void>((finish, fail) => {
      /** Runs segments until the guest returns (finish), fails, or waits on a promise. */
      const drive = (yielded: boolean): void => {
        for (;;) {
          let done: boolean
          if (yielded && this.pacer !== undefined) { // a guest that only yielded resumes in its turn among the work the event loop paces
            this.pacer.run(segment).then(d => { if (afterSegment(d)) drive(true) }, fail)
            return
          }
          try { done = segment() } catch (err) { fail(err); return }
          if (!afterSegment(done)) return
          yielded = true
        }
      }
      // the guest waits on one promise at a time; once abandoned (interrupt) it never waits again
      const resume = (v: unknown): void => {
        if (!this.waiting) return
        this.waiting = false
        this.resumeValue = v
        drive(false)
      }
      const abandon = (reason: unknown): void => {
        if (!this.waiting) return
        this.waiting = false
        fail(reason)
      }
      this.wake = abandon
      this.resumeWith = resume
      /** True when the guest only yielded and runs on; otherwise it finished or waits. */
      const afterSegment = (done: boolean): boolean => {
        if (done) { finish(); return false }
        const p = this.pending!
        this.pending = undefined
        this.suspensions++
        resuming = true
        this.resumeValue = undefined
        if (p === YIELD) return true
        if (this.interrupted !== undefined) { fail(this.interrupted.reason); return false }
        this.waiting = true
        if (p instanceof Parked) {
          if (p.woken) makeReady(this)
          else p.listener = this.readied
        } else p.then(resume, abandon)
        return false
      }
      drive(false)
    })
  }
}
