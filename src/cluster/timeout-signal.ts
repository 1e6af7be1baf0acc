// A signal that aborts after a while, and can be let go of once the work it bounds is done. AbortSignal.timeout
// cannot: its timer fires whatever happened, builds a DOMException with a stack, and wakes the event loop long after
// an exchange ended (~2 % of an idle node's CPU, bench/cluster/idle-profile.ts).
import type { Connection, Stream } from '@libp2p/interface'

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

/** A new stream for `protocol` on `conn`, given up after `ms`; the timer goes with the stream's opening. */
export async function newStreamWithin (conn: Connection, protocol: string, ms: number): Promise<Stream> {
  const opening = timeoutSignal(ms, `opening a ${protocol} stream`)
  try {
    return await conn.newStream(protocol, { signal: opening.signal })
  } finally {
    opening.clear()
  }
}
