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
type List = { bufs: Uint8Array[], size: number }

function nulJoined (items: string[]): List {
  const bufs = items.map(s => utf8(s + '\0'))
  return { bufs, size: bufs.reduce((n, b) => n + b.length, 0) }
}

function faultOrThrow (err: unknown): number {
  if (err instanceof Fault) return Errno.FAULT
  throw err
}

function isStdio (fd: number): boolean { return fd === STDIN || fd === STDOUT || fd === STDERR }

/**
 * One proc's preview1 state. Its calls are the functions of WASI_CALLS, shared by every proc and called with the
 * proc's Wasi as `this`, so a spawn builds no closures for them.
 */
export class Wasi {
  private argsList: List | undefined
  private envList: List | undefined
  private stdinRest: Uint8Array | undefined
  private stdinEnded = false
  private readonly started = process.hrtime.bigint()
  private poll: ((inPtr: number, outPtr: number, count: number, neventsPtr: number) => Result) | undefined

  constructor (private readonly mem: GuestMemory, private readonly opts: WasiOptions) {}

  private args (): List { return (this.argsList ??= nulJoined(this.opts.args)) }
  private env (): List { return (this.envList ??= nulJoined(this.opts.env)) }

  clockNow (id: number): bigint | undefined {
    if (id === CLOCK_REALTIME) return BigInt(Date.now()) * 1_000_000n
    if (id === CLOCK_MONOTONIC) return process.hrtime.bigint()
    if (id === CLOCK_PROCESS_CPUTIME || id === CLOCK_THREAD_CPUTIME) return process.hrtime.bigint() - this.started
    return undefined
  }

  private sizesGet (list: List, countPtr: number, sizePtr: number): number {
    this.mem.setU32(countPtr, list.bufs.length)
    this.mem.setU32(sizePtr, list.size)
    return Errno.SUCCESS
  }

  private listGet (list: List, ptrsPtr: number, bufPtr: number): number {
    const mem = this.mem
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

  private gather (iovs: number, count: number): Uint8Array {
    const mem = this.mem
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

  private scatter (iovs: number, count: number, src: Uint8Array): number {
    const mem = this.mem
    mem.check(iovs, (count >>> 0) * 8)
    let done = 0
    for (let i = 0; i < count >>> 0 && done < src.length; i++) {
      const ptr = mem.u32(iovs + i * 8)
      const len = mem.u32(iovs + i * 8 + 4)
      done += mem.writeTruncated(ptr, len, src.subarray(done))
    }
    return done
  }

  args_sizes_get (c: number, s: number): Result { return this.sizesGet(this.args(), c, s) }
  args_get (p: number, b: number): Result { return this.listGet(this.args(), p, b) }
  environ_sizes_get (c: number, s: number): Result { return this.sizesGet(this.env(), c, s) }
  environ_get (p: number, b: number): Result { return this.listGet(this.env(), p, b) }

  clock_res_get (id: number, out: number): Result {
    if (id < CLOCK_REALTIME || id > CLOCK_THREAD_CPUTIME) return Errno.INVAL
    this.mem.setU64(out, 1000n)
    return Errno.SUCCESS
  }

  clock_time_get (id: number, _precision: bigint, out: number): Result {
    const t = this.clockNow(id)
    if (t === undefined) return Errno.INVAL
    this.mem.setU64(out, t)
    return Errno.SUCCESS
  }

  poll_oneoff (inPtr: number, outPtr: number, count: number, neventsPtr: number): Result {
    this.poll ??= pollOneoff(this.mem, this.opts.sleep ?? (async ms => await new Promise(resolve => setTimeout(resolve, ms))), id => this.clockNow(id))
    return this.poll(inPtr, outPtr, count, neventsPtr)
  }

  random_get (ptr: number, len: number): Result {
    const buf = this.mem.bytes(ptr, len)
    for (let at = 0; at < buf.length; at += RANDOM_CHUNK) randomFillSync(buf.subarray(at, Math.min(buf.length, at + RANDOM_CHUNK)))
    return Errno.SUCCESS
  }

  fd_write (fd: number, iovs: number, count: number, nwritten: number): Result {
    if (fd !== STDOUT && fd !== STDERR) return Errno.BADF
    const mem = this.mem
    mem.check(nwritten, 4)
    const data = this.gather(iovs, count)
    const r = (fd === STDOUT ? this.opts.stdout : this.opts.stderr)(data)
    if (r instanceof Promise) return r.then(() => { mem.setU32(nwritten, data.length); return Errno.SUCCESS }, () => Errno.IO)
    mem.setU32(nwritten, data.length)
    return Errno.SUCCESS
  }

  fd_read (fd: number, iovs: number, count: number, nread: number): Result {
    if (fd !== STDIN) return Errno.BADF
    const mem = this.mem
    mem.check(nread, 4)
    mem.check(iovs, (count >>> 0) * 8)
    const deliver = (chunk: Uint8Array | undefined): number => {
      if (chunk === undefined) { this.stdinEnded = true; mem.setU32(nread, 0); return Errno.SUCCESS }
      const n = this.scatter(iovs, count, chunk)
      this.stdinRest = n < chunk.length ? chunk.subarray(n) : undefined
      mem.setU32(nread, n)
      return Errno.SUCCESS
    }
    if (this.stdinRest !== undefined) return deliver(this.stdinRest)
    if (this.stdinEnded || this.opts.stdin === undefined) return deliver(undefined)
    return this.opts.stdin().then(deliver, () => deliver(undefined))
  }

  fd_fdstat_get (fd: number, out: number): Result {
    if (!isStdio(fd)) return Errno.BADF
    const v = this.mem.view(out, FDSTAT_BYTES)
    v.setUint8(0, FILETYPE_CHARACTER_DEVICE)
    v.setUint16(2, 0, true)
    v.setBigUint64(8, RIGHTS_STDIO, true)
    v.setBigUint64(16, 0n, true)
    return Errno.SUCCESS
  }

  fd_fdstat_set_flags (fd: number): Result { return isStdio(fd) ? Errno.NOTSUP : Errno.BADF }
  fd_prestat_get (): Result { return Errno.BADF }
  fd_prestat_dir_name (): Result { return Errno.BADF }
  fd_close (fd: number): Result { return isStdio(fd) ? Errno.SUCCESS : Errno.BADF }
  fd_seek (fd: number): Result { return isStdio(fd) ? Errno.SPIPE : Errno.BADF }
  fd_tell (fd: number): Result { return isStdio(fd) ? Errno.SPIPE : Errno.BADF }
  fd_sync (fd: number): Result { return isStdio(fd) ? Errno.SUCCESS : Errno.BADF }
  fd_datasync (fd: number): Result { return isStdio(fd) ? Errno.SUCCESS : Errno.BADF }
  sched_yield (): Result { return this.opts.yieldNow().then(() => Errno.SUCCESS) }
  proc_exit (code: number): Result { throw exited(code | 0) }
  proc_raise (): Result { return Errno.NOSYS }
}

export type WasiCall = (this: Wasi, ...a: any[]) => Result

const PREVIEW1 = ['args_sizes_get', 'args_get', 'environ_sizes_get', 'environ_get', 'clock_res_get', 'clock_time_get', 'poll_oneoff',
  'random_get', 'fd_write', 'fd_read', 'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_prestat_get', 'fd_prestat_dir_name', 'fd_close',
  'fd_seek', 'fd_tell', 'fd_sync', 'fd_datasync', 'sched_yield', 'proc_exit', 'proc_raise'] as const

/** The preview1 functions we implement, each called with a proc's Wasi as `this`; a bad pointer is EFAULT. */
export const WASI_CALLS: ReadonlyMap<string, WasiCall> = new Map(PREVIEW1.map(name => {
  const fn = Wasi.prototype[name] as WasiCall
  const guarded = function (this: Wasi, ...a: any[]): Result {
    try {
      const r = fn.apply(this, a)
      return r instanceof Promise ? r.catch(faultOrThrow) : r
    } catch (err) { return faultOrThrow(err) }
  }
  return [name, guarded]
}))

/** What an unknown preview1 import does: nothing, ENOSYS. */
export function wasiNotImplemented (): number { return Errno.NOSYS }
