// A signal that aborts after a while, and can be let go of once the work it bounds is done. AbortSignal.timeout
// cannot: its timer fires whatever happened, builds a DOMException with a stack, and wakes the event loop long after
// an exchange ended (~2 % of an idle node's CPU, bench/cluster/idle-profile.ts).

export interface TimeoutSignal {
  signal: AbortSignal
  /** Disarms the timer (call when the work is done). */
  clear: () => void
}

export function timeoutSignal (ms: number, what: string): TimeoutSignal {
  const controller = new AbortController()
  const timer = setTimeout(() => {
    const err = new Error(`${what} timed out after ${ms} ms`)
    err.name = 'TimeoutError'
    controller.abort(err)
  }, ms)
  timer.unref?.()
  return { signal: controller.signal, clear: () => { clearTimeout(timer) } }
}
