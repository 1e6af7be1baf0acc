// Host calls of supervised proc trees: spawn with flags (detached) and limits, wait with a timeout, monitors.
// A child a guest spawns lives inside its parent's limits and ends with it unless detached (the world does that:
// child-limits.ts, host/proc-tree.ts); these calls let the parent choose, wait and watch.
// The numbers here are the guest ABI: guest/c/ww.h and guest/README.md document them.

import { Canceled, Disconnected, InvalidArgument, Timeout } from '../errors.js'
import type { GuestMemory } from './guest-memory.js'
import type { ProcLimits } from './limits.js'
import type { ExitReason } from './signals.js'
import type { ChanCap, GuestSpawnRequest, ProcCap, SenderCap } from './world.js'

/** ww_spawn_opts.flags: the child outlives its parent. */
export const SPAWN_DETACHED = 1
const KNOWN_SPAWN_FLAGS = SPAWN_DETACHED
/** struct ww_spawn_opts { i32 flags; i32 reserved; i64 memory_bytes; i64 fuel; i64 timeout_ms; } */
export const SPAWN_OPTS_BYTES = 32
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
  /** The spawn request of ww_spawn's first nine arguments. */
  spawnRequest: (kind: number, mp: number, ml: number, ap: number, al: number, ep: number, el: number, wp: number, wl: number) => GuestSpawnRequest
  spawn: (req: GuestSpawnRequest) => Promise<ProcCap>
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

function spawnOpts (mem: GuestMemory, ptr: number): { limits: Partial<ProcLimits>, detached: boolean } {
  if (ptr === 0) return { limits: {}, detached: false }
  const v = mem.view(ptr, SPAWN_OPTS_BYTES)
  const flags = v.getInt32(0, true)
  if ((flags & ~KNOWN_SPAWN_FLAGS) !== 0) throw new InvalidArgument(`unknown spawn flags ${flags}`)
  const limit = (at: number, name: string): number => {
    const x = v.getBigInt64(at, true)
    if (x < 0n) throw new InvalidArgument(`negative ${name} ${x}`)
    return Number(x > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : x)
  }
  return {
    limits: { memoryBytes: limit(8, 'memory_bytes'), fuel: limit(16, 'fuel'), timeoutMs: limit(24, 'timeout_ms') },
    detached: (flags & SPAWN_DETACHED) !== 0
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
    spawn_with: (kind: number, mp: number, ml: number, ap: number, al: number, ep: number, el: number, wp: number, wl: number, op: number) => kit.call(async () => {
      const req = kit.spawnRequest(kind, mp, ml, ap, al, ep, el, wp, wl)
      const { limits, detached } = spawnOpts(mem, op)
      return kit.addHandle(await kit.spawn({ ...req, limits, detached }))
    }),
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
