// Coalesces frames queued in one tick into a single write. A lazy frame (e.g. Finish, Release)
// does not schedule a write of its own soon: it rides along with the next urgent frame, or goes
// out on the next macrotask (setImmediate) if nothing else is sent first. An owned chunk (a large
// message's segment) is written as it is, between the slab chunks of what was queued around it.

import { Slab } from './slab.js'

/** A frame written straight into the outgoing chunk at flush time (no buffer of its own). */
export type FrameFill = (dst: Uint8Array, dv: DataView, offset: number) => void

/**
 * A frame of `bytes` bytes that its `fill` method writes into the outgoing chunk at flush: what a
 * sender queues as it is (an object of its own class, so a frame costs one object, not a closure
 * and a record).
 */
export interface QueuedFill { readonly bytes: number, fill: (dst: Uint8Array, dv: DataView, offset: number) => void }

const resolved = Promise.resolve()

/** Bytes handed over to be written as they are (never copied, never changed again). */
class Owned {
  constructor (readonly chunk: Uint8Array) {}
}

export class BatchWriter {
  private queue: Array<Uint8Array | Owned | QueuedFill> = []
  private bytes = 0
  /** An owned chunk is queued (the flush then writes several chunks). */
  private owned = false
  private readonly slab = new Slab()
  private scheduled = false
  private lazyScheduled = false
  private readonly flushNow = (): void => { this.flush() }
  private readonly flushLazy = (): void => { this.lazyScheduled = false; this.flush() }

  /** `batch`: runs the writes of one flush (several when owned chunks are queued), e.g. corked. */
  constructor (private readonly write: (chunk: Uint8Array) => void, private readonly batch = (writes: () => void): void => { writes() }) {}

  push (frame: Uint8Array, lazy = false): void {
    this.queue.push(frame)
    this.bytes += frame.byteLength
    this.schedule(lazy)
  }

  /** Queues a frame of `bytes` bytes that `fill` writes at flush (what it reads must not change until then). */
  pushWith (bytes: number, fill: FrameFill, lazy = false): void {
    this.queue.push({ bytes, fill })
    this.bytes += bytes
    this.schedule(lazy)
  }

  /** Queues `frame`, written by its fill method at flush (what it reads must not change until then). */
  pushFrame (frame: QueuedFill, lazy = false): void {
    this.queue.push(frame)
    this.bytes += frame.bytes
    this.schedule(lazy)
  }

  /** Queues bytes written as they are, after what is queued now; the caller never changes them again. */
  pushOwned (chunk: Uint8Array): void {
    this.queue.push(new Owned(chunk))
    this.owned = true
    this.schedule(false)
  }

  private schedule (lazy: boolean): void {
    if (this.scheduled) return
    if (!lazy) {
      this.scheduled = true
      void resolved.then(this.flushNow) // a plain microtask (queueMicrotask costs an async resource)
    } else if (!this.lazyScheduled) {
      this.lazyScheduled = true
      setImmediate(this.flushLazy)
    }
  }

  flush (): void {
    this.scheduled = false
    const queue = this.queue
    if (queue.length === 0) return
    const first = queue[0]
    this.queue = []
    const bytes = this.bytes
    this.bytes = 0
    const owned = this.owned
    this.owned = false
    if (queue.length === 1 && first instanceof Uint8Array) { this.write(first); return }
    if (queue.length === 1 && first instanceof Owned) { this.write(first.chunk); return }
    if (!owned) { this.write(this.copied(queue, 0, queue.length, bytes)); return }
    this.batch(() => {
      let i = 0
      while (i < queue.length) {
        let j = i
        let run = 0
        for (; j < queue.length; j++) {
          const f = queue[j]
          if (f instanceof Owned) break
          run += f instanceof Uint8Array ? f.byteLength : f.bytes
        }
        if (j > i) this.write(this.copied(queue, i, j, run))
        if (j < queue.length) this.write((queue[j] as Owned).chunk)
        i = j + 1
      }
    })
  }

  /** Frames queue[from, to) (none owned, `bytes` in all) copied or filled into one slab chunk. */
  private copied (queue: Array<Uint8Array | Owned | QueuedFill>, from: number, to: number, bytes: number): Uint8Array {
    const start = this.slab.take(bytes)
    const dst = this.slab.dst
    const dv = this.slab.dv
    let o = start
    for (let k = from; k < to; k++) {
      const f = queue[k] as Uint8Array | QueuedFill
      if (f instanceof Uint8Array) { dst.set(f, o); o += f.byteLength } else { f.fill(dst, dv, o); o += f.bytes }
    }
    return dst.subarray(start, o)
  }
}
