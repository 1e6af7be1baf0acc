// Our WASI preview1 subset (node:wasi cannot suspend a guest). Enough for wasi-libc and
// AssemblyScript programs: args, environ, clocks, random, stdio, proc_exit, sched_yield, and
// poll_oneoff on clocks (sleep).
// There are no preopened directories; every other call returns ENOSYS or EBADF.
// No call can crash the node: every pointer goes through GuestMemory (EFAULT).

import { randomFillSync } from 'node:crypto'
import { Fault, type GuestMemory, utf8 } from './guest-memory.js'
import { exited } from './signals.js'
import { pollOneoff, type Sleep } from './wasi-poll.js'

export const Errno = {
  SUCCESS: 0, BADF: 8, FAULT: 21, INVAL: 28, IO: 29, NOSYS: 52, NOTSUP: 58, SPIPE: 70
} as const

const FILETYPE_CHARACTER_DEVICE = 2
const FDSTAT_BYTES = 24
const RIGHTS_STDIO = 0x1fffffffn
const CLOCK_REALTIME = 0
const CLOCK_MONOTONIC = 1
const CLOCK_PROCESS_CPUTIME = 2
const CLOCK_THREAD_CPUTIME = 3
const RANDOM_CHUNK = 65536
const STDIN = 0
const STDOUT = 1
const STDERR = 2

/** Where a proc's output goes; a returned Promise is backpressure (the guest waits for it). */
export type Sink = (chunk: Uint8Array) => void | Promise<void>
/** Where a proc's input comes from; undefined = end of input. */
export type Source = () => Promise<Uint8Array | undefined>

export interface WasiOptions {
  args: string[]
  env: string[]
  stdout: Sink
  stderr: Sink
  stdin?: Source
  /** Resolves on the next turn of the event loop (sched_yield). */
  yieldNow: () => Promise<void>
  /** Waits, for poll_oneoff's clocks (default: a timer). */
  sleep?: Sleep
}

type Result = number | Promise<number>

function nulJoined (items: string[]): { bufs: Uint8Array[], size: number } {
  const bufs = items.map(s => utf8(s + '\0'))
  return { bufs, size: bufs.reduce((n, b) => n + b.length, 0) }
}

/** The preview1 functions; `wanted` (the module's imports) limits which ones are built. */
export function createWasi (mem: GuestMemory, opts: WasiOptions, wanted?: (name: string) => boolean): Record<string, (...a: any[]) => unknown> {
  let argsList: ReturnType<typeof nulJoined> | undefined
  let envList: ReturnType<typeof nulJoined> | undefined
  const args = (): ReturnType<typeof nulJoined> => (argsList ??= nulJoined(opts.args))
  const env = (): ReturnType<typeof nulJoined> => (envList ??= nulJoined(opts.env))
  let stdinRest: Uint8Array | undefined
  let stdinEnded = false
  const started = process.hrtime.bigint()
  const clockNow = (id: number): bigint | undefined => {
    if (id === CLOCK_REALTIME) return BigInt(Date.now()) * 1_000_000n
    if (id === CLOCK_MONOTONIC) return process.hrtime.bigint()
    if (id === CLOCK_PROCESS_CPUTIME || id === CLOCK_THREAD_CPUTIME) return process.hrtime.bigint() - started
    return undefined
  }

  const guard = (fn: (...a: any[]) => Result) => (...a: any[]): Result => {
    try {
      const r = fn(...a)
      return r instanceof Promise ? r.catch(faultOrThrow) : r
    } catch (err) { return faultOrThrow(err) }
  }
  function faultOrThrow (err: unknown): number {
    if (err instanceof Fault) return Errno.FAULT
    throw err
  }

  function sizesGet (list: { bufs: Uint8Array[], size: number }, countPtr: number, sizePtr: number): number {
    mem.setU32(countPtr, list.bufs.length)
    mem.setU32(sizePtr, list.size)
    return Errno.SUCCESS
  }
  function listGet (list: { bufs: Uint8Array[], size: number }, ptrsPtr: number, bufPtr: number): number {
    mem.check(ptrsPtr, list.bufs.length * 4)
    mem.check(bufPtr, list.size)
    let at = bufPtr >>> 0
    list.bufs.forEach((b, i) => {
      mem.setU32(ptrsPtr + i * 4, at)
      mem.bytes(at, b.length).set(b)
      at += b.length
    })
    return Errno.SUCCESS
  }
  function gather (iovs: number, count: number): Uint8Array {
    mem.check(iovs, (count >>> 0) * 8)
    const parts: Uint8Array[] = []
    let total = 0
    for (let i = 0; i < count >>> 0; i++) {
      const ptr = mem.u32(iovs + i * 8)
      const len = mem.u32(iovs + i * 8 + 4)
      parts.push(mem.copy(ptr, len))
      total += len
    }
    const out = new Uint8Array(total)
    let at = 0
    for (const p of parts) { out.set(p, at); at += p.length }
    return out
  }
  function scatter (iovs: number, count: number, src: Uint8Array): number {
    mem.check(iovs, (count >>> 0) * 8)
    let done = 0
    for (let i = 0; i < count >>> 0 && done < src.length; i++) {
      const ptr = mem.u32(iovs + i * 8)
      const len = mem.u32(iovs + i * 8 + 4)
      done += mem.writeTruncated(ptr, len, src.subarray(done))
    }
    return done
  }
  function isStdio (fd: number): boolean { return fd === STDIN || fd === STDOUT || fd === STDERR }

  const impl: Record<string, (...a: any[]) => Result> = {
    args_sizes_get: (c: number, s: number) => sizesGet(args(), c, s),
    args_get: (p: number, b: number) => listGet(args(), p, b),
    environ_sizes_get: (c: number, s: number) => sizesGet(env(), c, s),
    environ_get: (p: number, b: number) => listGet(env(), p, b),
    clock_res_get: (id: number, out: number) => {
      if (id < CLOCK_REALTIME || id > CLOCK_THREAD_CPUTIME) return Errno.INVAL
      mem.setU64(out, 1000n)
      return Errno.SUCCESS
    },
    clock_time_get: (id: number, _precision: bigint, out: number) => {
      const t = clockNow(id)
      if (t === undefined) return Errno.INVAL
      mem.setU64(out, t)
      return Errno.SUCCESS
    },
    poll_oneoff: pollOneoff(mem, opts.sleep ?? (async ms => await new Promise(resolve => setTimeout(resolve, ms))), id => clockNow(id)),
    random_get: (ptr: number, len: number) => {
      const buf = mem.bytes(ptr, len)
      for (let at = 0; at < buf.length; at += RANDOM_CHUNK) randomFillSync(buf.subarray(at, Math.min(buf.length, at + RANDOM_CHUNK)))
      return Errno.SUCCESS
    },
    fd_write: (fd: number, iovs: number, count: number, nwritten: number) => {
      if (fd !== STDOUT && fd !== STDERR) return isStdio(fd) ? Errno.BADF : Errno.BADF
      mem.check(nwritten, 4)
      const data = gather(iovs, count)
      const r = (fd === STDOUT ? opts.stdout : opts.stderr)(data)
      if (r instanceof Promise) return r.then(() => { mem.setU32(nwritten, data.length); return Errno.SUCCESS }, () => Errno.IO)
      mem.setU32(nwritten, data.length)
      return Errno.SUCCESS
    },
    fd_read: (fd: number, iovs: number, count: number, nread: number) => {
      if (fd !== STDIN) return Errno.BADF
      mem.check(nread, 4)
      mem.check(iovs, (count >>> 0) * 8)
      const deliver = (chunk: Uint8Array | undefined): number => {
        if (chunk === undefined) { stdinEnded = true; mem.setU32(nread, 0); return Errno.SUCCESS }
        const n = scatter(iovs, count, chunk)
        stdinRest = n < chunk.length ? chunk.subarray(n) : undefined
        mem.setU32(nread, n)
        return Errno.SUCCESS
      }
      if (stdinRest !== undefined) return deliver(stdinRest)
      if (stdinEnded || opts.stdin === undefined) return deliver(undefined)
      return opts.stdin().then(deliver, () => deliver(undefined))
    },
    fd_fdstat_get: (fd: number, out: number) => {
      if (!isStdio(fd)) return Errno.BADF
      const v = mem.view(out, FDSTAT_BYTES)
      v.setUint8(0, FILETYPE_CHARACTER_DEVICE)
      v.setUint16(2, 0, true)
      v.setBigUint64(8, RIGHTS_STDIO, true)
      v.setBigUint64(16, 0n, true)
      return Errno.SUCCESS
    },
    fd_fdstat_set_flags: (fd: number) => isStdio(fd) ? Errno.NOTSUP : Errno.BADF,
    fd_prestat_get: () => Errno.BADF,
    fd_prestat_dir_name: () => Errno.BADF,
    fd_close: (fd: number) => isStdio(fd) ? Errno.SUCCESS : Errno.BADF,
    fd_seek: (fd: number) => isStdio(fd) ? Errno.SPIPE : Errno.BADF,
    fd_tell: (fd: number) => isStdio(fd) ? Errno.SPIPE : Errno.BADF,
    fd_sync: (fd: number) => isStdio(fd) ? Errno.SUCCESS : Errno.BADF,
    fd_datasync: (fd: number) => isStdio(fd) ? Errno.SUCCESS : Errno.BADF,
    sched_yield: () => opts.yieldNow().then(() => Errno.SUCCESS),
    proc_exit: (code: number) => { throw exited(code | 0) },
    proc_raise: () => Errno.NOSYS
  }

  const out: Record<string, (...a: any[]) => unknown> = {}
  for (const name in impl) if (wanted === undefined || wanted(name)) out[name] = guard(impl[name])
  return out
}

/** What an unknown preview1 import does: nothing, ENOSYS. */
export function wasiNotImplemented (): number { return Errno.NOSYS }
