// WASI preview1 poll_oneoff, for clock subscriptions only: what wasi-libc's sleep(), usleep() and
// nanosleep() call. The guest suspends (asyncify) for the shortest timeout; the node runs on.
// Subscriptions on file descriptors get ENOTSUP (stdio is not pollable here).

import type { GuestMemory } from './guest-memory.js'

const SUBSCRIPTION_BYTES = 48
const EVENT_BYTES = 32
const EVENTTYPE_CLOCK = 0
const SUBCLOCKFLAGS_ABSTIME = 1
const ERRNO_SUCCESS = 0
const ERRNO_INVAL = 28
const ERRNO_NOTSUP = 58

/** Waits `ms` milliseconds (ending early, without error, when the proc ends). */
export type Sleep = (ms: number) => Promise<void>

/** Nanoseconds now on `clock` (the ids wasi.ts's clock_time_get knows); undefined for an unknown clock. */
export type ClockNow = (clock: number) => bigint | undefined

export function pollOneoff (mem: GuestMemory, sleep: Sleep, now: ClockNow) {
  return (inPtr: number, outPtr: number, count: number, neventsPtr: number): number | Promise<number> => {
    const n = count >>> 0
    if (n === 0) return ERRNO_INVAL
    mem.check(outPtr, n * EVENT_BYTES)
    mem.check(neventsPtr, 4)
    const subs = mem.view(inPtr, n * SUBSCRIPTION_BYTES)
    let soonest: bigint | undefined
    const waits: bigint[] = []
    for (let i = 0; i < n; i++) {
      const at = i * SUBSCRIPTION_BYTES
      if (subs.getUint8(at + 8) !== EVENTTYPE_CLOCK) return ERRNO_NOTSUP
      const clock = subs.getUint32(at + 16, true)
      const timeout = subs.getBigUint64(at + 24, true)
      const absolute = (subs.getUint16(at + 40, true) & SUBCLOCKFLAGS_ABSTIME) !== 0
      const t = now(clock)
      if (t === undefined) return ERRNO_INVAL
      const wait = absolute ? (timeout > t ? timeout - t : 0n) : timeout
      waits.push(wait)
      if (soonest === undefined || wait < soonest) soonest = wait
    }
    const userdata = waits.map((_, i) => subs.getBigUint64(i * SUBSCRIPTION_BYTES, true))
    return sleep(Number(soonest! / 1_000_000n)).then(() => {
      let events = 0
      waits.forEach((w, i) => {
        if (w !== soonest) return
        const ev = mem.view(outPtr + events * EVENT_BYTES, EVENT_BYTES)
        ev.setBigUint64(0, userdata[i], true)
        ev.setUint16(8, ERRNO_SUCCESS, true)
        ev.setUint8(10, EVENTTYPE_CLOCK)
        events++
      })
      mem.setU32(neventsPtr, events)
      return ERRNO_SUCCESS
    })
  }
}
