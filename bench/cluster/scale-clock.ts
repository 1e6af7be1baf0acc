// A simulated clock for the scale benchmark: timers in a binary heap, time jumps from one to the next.
import type { SwimClock } from '../../src/cluster/swim/swim.js'

interface Timer { at: number, order: number, fn: () => void, cancelled: boolean }

export class SimClock implements SwimClock {
  private t = 0
  private order = 0
  private readonly heap: Timer[] = []

  now = (): number => this.t

  setTimer = (fn: () => void, ms: number): unknown => {
    const timer: Timer = { at: this.t + Math.max(0, ms), order: this.order++, fn, cancelled: false }
    this.push(timer)
    return timer
  }

  clearTimer = (timer: unknown): void => {
    if (timer !== undefined) (timer as Timer).cancelled = true
  }

  /**
   * Runs every timer due up to `until`, in order; the clock then reads `until`. While `busy()` (a record's signature
   * being checked), the event loop turns before the next timer, so what the check resolves happens at its time.
   */
  async runUntil (until: number, busy: () => boolean = () => false): Promise<void> {
    while (this.heap.length > 0 && this.heap[0].at <= until) {
      const timer = this.pop()
      if (timer.cancelled) continue
      this.t = timer.at
      timer.fn()
      while (busy()) await new Promise(resolve => setImmediate(resolve))
    }
    this.t = until
  }

  private less (a: Timer, b: Timer): boolean { return a.at < b.at || (a.at === b.at && a.order < b.order) }

  private push (x: Timer): void {
    const h = this.heap
    h.push(x)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]]
      i = p
    }
  }

  private pop (): Timer {
    const h = this.heap
    const top = h[0]
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.less(h[l], h[m])) m = l
        if (r < h.length && this.less(h[r], h[m])) m = r
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]]
        i = m
      }
    }
    return top
  }
}
