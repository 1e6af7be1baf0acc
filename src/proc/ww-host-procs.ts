// Host calls of supervised proc trees: wait with a timeout (and `host lost`), monitors. Spawning detached or with
// limits is ww_spawn_with's (ww-cluster-calls.ts).
// A child a guest spawns lives inside its parent's limits and ends with it unless detached (the world does that:
// child-limits.ts, host/proc-tree.ts); these calls let the parent choose, wait and watch.
// The numbers here are the guest ABI: guest/c/ww.h and guest/README.md document them.

import { Canceled, Disconnected, Timeout } from '../errors.js'
import type { GuestMemory } from './guest-memory.js'
import type { ExitReason } from './signals.js'
import type { ChanCap, ProcCap, SenderCap } from './world.js'

/** struct ww_down { i32 proc; i32 reason; i32 code; }: what ww_monitor sends when the proc ends. */
export const DOWN_BYTES = 12

/** How a proc ended, as a guest reads it (ww_wait's reason; the same numbers as ww-host.ts). */
export const GUEST_REASONS: Record<ExitReason | 'hostLost', number> = {
  exited: 0, killed: 1, outOfFuel: 2, outOfMemory: 3, trapped: 4, timedOut: 5, hostLost: 6
}

/** What these calls need of the host module (ww-host.ts). */
export interface ProcTreeKit {
  memory: GuestMemory
  /** Runs a host call: errors become codes. */
  call: (fn: () => number | Promise<number>) => number | Promise<number>
  proc: (h: number) => ProcCap
  sender: (h: number) => SenderCap | ChanCap
  addHandle: (cap: ProcCap) => number
  /** Aborted when the calling proc ends. */
  signal: () => AbortSignal
}

interface Down { reason: number, code: number }

/** How `p` ended; a proc whose host went away (connection lost, or it left the cluster) ended with hostLost. */
async function downOf (p: ProcCap, signal: AbortSignal): Promise<Down> {
  try {
    const st = await p.wait({ signal })
    return { reason: GUEST_REASONS[st.reason], code: st.reason === 'exited' ? Math.max(0, st.code) : 0 }
  } catch (err) {
    if (err instanceof Disconnected) return { reason: GUEST_REASONS.hostLost, code: 0 }
    throw err
  }
}

export function procTreeImports (kit: ProcTreeKit): Record<string, (...a: any[]) => unknown> {
  const { memory: mem } = kit
  const waitFor = async (h: number, timeoutMs: number, reasonOut: number): Promise<number> => {
    const p = kit.proc(h)
    if (reasonOut !== 0) mem.check(reasonOut, 4)
    const own = kit.signal()
    const timer = timeoutMs >= 0 ? AbortSignal.timeout(timeoutMs) : undefined
    let down: Down
    try {
      down = await downOf(p, timer === undefined ? own : AbortSignal.any([own, timer]))
    } catch (err) {
      if (err instanceof Canceled && timer?.aborted === true && !own.aborted) throw new Timeout(`proc handle ${h} still runs after ${timeoutMs} ms`)
      throw err
    }
    if (reasonOut !== 0) mem.setI32(reasonOut, down.reason)
    return down.code
  }
  return {
    // ww_wait, which also tells `host lost`
    wait: (h: number, reasonOut: number) => kit.call(async () => await waitFor(h, -1, reasonOut)),
    wait_timeout: (h: number, timeoutMs: number, reasonOut: number) => kit.call(async () => await waitFor(h, timeoutMs, reasonOut)),
    monitor: (h: number, s: number) => kit.call(() => {
      const p = kit.proc(h)
      const to = kit.sender(s)
      // the monitor keeps both until it has told: the guest may drop its handles meanwhile
      p.ref?.retain()
      to.ref?.retain()
      const signal = kit.signal()
      const down = new Uint8Array(DOWN_BYTES)
      downOf(p, signal)
        .then(async d => {
          const v = new DataView(down.buffer)
          v.setInt32(0, h, true)
          v.setInt32(4, d.reason, true)
          v.setInt32(8, d.code, true)
          await to.send({ data: down }, { signal })
        })
        .catch(() => {}) // the watcher ended first, or the channel closed: nobody to tell
        .finally(() => { p.ref?.release(); to.ref?.release() })
      return 0
    })
  }
}
