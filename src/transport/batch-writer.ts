// Coalesces frames queued in one tick into a single write. A lazy frame (e.g. Finish, Release)
// does not schedule a write of its own soon: it rides along with the next urgent frame, or goes
// out on the next macrotask (setImmediate) if nothing else is sent first.

import { Slab } from './slab.js'

/** A frame written straight into the outgoing chunk at flush time (no buffer of its own). */
export type FrameFill = (dst: Uint8Array, dv: DataView, offset: number) => void

const resolved = Promise.resolve()

export class BatchWriter {
  private queue: Array<Uint8Array | { bytes: number, fill: FrameFill }> = []
  private bytes = 0
  private readonly slab = new Slab()
  private scheduled = false
  private lazyScheduled = false
  private readonly flushNow = (): void => { this.flush() }
  private readonly flushLazy = (): void => { this.lazyScheduled = false; this.flush() }

  constructor (private readonly write: (chunk: Uint8Array) => void) {}

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
    let chunk: Uint8Array
    if (queue.length === 1 && first instanceof Uint8Array) {
      chunk = first
    } else {
      const start = this.slab.take(this.bytes)
      const dst = this.slab.dst
      const dv = this.slab.dv
      let o = start
      for (const f of queue) {
        if (f instanceof Uint8Array) { dst.set(f, o); o += f.byteLength } else { f.fill(dst, dv, o); o += f.bytes }
      }
      chunk = dst.subarray(start, o)
    }
    this.queue = []
    this.bytes = 0
    this.write(chunk)
  }
}
