// ww guest SDK for AssemblyScript (0.28). Build a guest with
//   asc prog.ts --runtime stub --exportStart _start --use abort=guest/as/ww/abort -O3 -o prog.wasm
// (see the `guests` target in the Makefile). Top-level code is the program; it runs as _start.
// WASI (stdio, args, env, exit) is called directly, without the wasi-shim package.

// ---- WASI preview1 (the few calls this SDK needs) ----
@external("wasi_snapshot_preview1", "fd_write")
declare function wasi_fd_write(fd: u32, iovs: usize, count: u32, nwritten: usize): u16
@external("wasi_snapshot_preview1", "proc_exit")
declare function wasi_proc_exit(code: u32): void
@external("wasi_snapshot_preview1", "args_sizes_get")
declare function wasi_args_sizes_get(count: usize, size: usize): u16
@external("wasi_snapshot_preview1", "args_get")
declare function wasi_args_get(ptrs: usize, buf: usize): u16
@external("wasi_snapshot_preview1", "environ_sizes_get")
declare function wasi_environ_sizes_get(count: usize, size: usize): u16
@external("wasi_snapshot_preview1", "environ_get")
declare function wasi_environ_get(ptrs: usize, buf: usize): u16

// ---- the ww host module (see guest/c/ww.h for the contract) ----
@external("ww", "last_error") declare function ww_last_error(buf: usize, cap: i32): i32
@external("ww", "release") declare function ww_release(h: i32): i32
@external("ww", "load") declare function ww_load(path: usize, len: i32): i32
@external("ww", "store") declare function ww_store(path: usize, len: i32, h: i32, overwrite: i32): i32
@external("ww", "chan") declare function ww_chan(capacity: i32): i32
@external("ww", "sender") declare function ww_sender(h: i32): i32
@external("ww", "send") declare function ww_send(h: i32, data: usize, len: i32, cap: i32): i32
@external("ww", "recv") declare function ww_recv(h: i32, buf: usize, cap: i32, capOut: usize): i32
@external("ww", "close") declare function ww_close(h: i32): i32

// The scratch area the runtime suspends the guest into (it looks for these two exports).
const ASYNCIFY_BYTES = 16384
const asyncifyArea = memory.data(ASYNCIFY_BYTES, 16)
export function ww_asyncify_buffer(): usize { return asyncifyArea }
export function ww_asyncify_size(): i32 { return ASYNCIFY_BYTES }

export const NONE: i32 = -1

/** Called by AssemblyScript on a failed assertion or abort(): report on stderr, exit 134. */
export function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  let text = "abort"
  if (message !== null) text += ": " + message
  if (file !== null) text += " at " + file + ":" + line.toString() + ":" + column.toString()
  writeString(2, text + "\n")
  wasi_proc_exit(134)
}

function writeBytes(fd: u32, ptr: usize, len: usize): void {
  const iov = memory.data(16, 8)
  const written = memory.data(8, 8)
  while (len > 0) {
    store<u32>(iov, <u32>ptr)
    store<u32>(iov + 4, <u32>len)
    if (wasi_fd_write(fd, iov, 1, written) != 0) return
    const n = <usize>load<u32>(written)
    ptr += n
    len -= n
  }
}

function writeString(fd: u32, s: string): void {
  const buf = String.UTF8.encode(s)
  writeBytes(fd, changetype<usize>(buf), <usize>buf.byteLength)
}

export function print(s: string): void { writeString(1, s) }
export function eprint(s: string): void { writeString(2, s) }
export function exit(code: i32): void { wasi_proc_exit(<u32>code) }

function nulStrings(sizes: (count: usize, size: usize) => u16, get: (ptrs: usize, buf: usize) => u16): string[] {
  const cs = memory.data(8, 8)
  if (sizes(cs, cs + 4) != 0) return []
  const count = load<u32>(cs)
  const size = load<u32>(cs + 4)
  const ptrs = new ArrayBuffer(<i32>count * 4)
  const buf = new ArrayBuffer(<i32>size)
  if (get(changetype<usize>(ptrs), changetype<usize>(buf)) != 0) return []
  const out = new Array<string>()
  for (let i: u32 = 0; i < count; i++) {
    const p = <usize>load<u32>(changetype<usize>(ptrs) + i * 4)
    let end = p
    while (load<u8>(end) != 0) end++
    out.push(String.UTF8.decodeUnsafe(p, end - p))
  }
  return out
}

/** argv: argv[0] is the proc's name. */
export function args(): string[] { return nulStrings(wasi_args_sizes_get, wasi_args_get) }

/** The value of an environment variable, or null. */
export function getenv(name: string): string | null {
  const env = nulStrings(wasi_environ_sizes_get, wasi_environ_get)
  for (let i = 0; i < env.length; i++) {
    const kv = env[i]
    const eq = kv.indexOf("=")
    if (eq > 0 && kv.substring(0, eq) == name) return kv.substring(eq + 1)
  }
  return null
}

/** The message of the last failed ww call. */
export function lastError(): string {
  const buf = new ArrayBuffer(1024)
  let n = ww_last_error(changetype<usize>(buf), 1024)
  if (n > 1024) n = 1024
  return n <= 0 ? "" : String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>n)
}

/** A buffered channel (capacity 0 = rendezvous); returns a handle or a negative error. */
export function chan(capacity: i32): i32 { return ww_chan(capacity) }
export function sender(h: i32): i32 { return ww_sender(h) }
export function close(h: i32): i32 { return ww_close(h) }
export function release(h: i32): i32 { return ww_release(h) }

export function loadCap(path: string): i32 {
  const p = String.UTF8.encode(path)
  return ww_load(changetype<usize>(p), p.byteLength)
}

export function storeCap(path: string, h: i32, overwrite: bool = true): i32 {
  const p = String.UTF8.encode(path)
  return ww_store(changetype<usize>(p), p.byteLength, h, overwrite ? 1 : 0)
}

/** Sends a string, with an optional capability riding along. */
export function send(h: i32, msg: string, cap: i32 = NONE): i32 {
  const b = String.UTF8.encode(msg)
  return ww_send(h, changetype<usize>(b), b.byteLength, cap)
}

/** A received message: its text and the capability that came with it (NONE if none). */
export class Message {
  constructor(public text: string, public cap: i32) {}
}

/** Receives one message of at most `max` bytes; null on error (see lastError()). */
export function recv(h: i32, max: i32 = 65536): Message | null {
  const buf = new ArrayBuffer(max)
  const capOut = memory.data(4, 4)
  const n = ww_recv(h, changetype<usize>(buf), max, capOut)
  if (n < 0) return null
  return new Message(String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>min(n, max)), load<i32>(capOut))
}

// ---- supervised proc trees (guest/README.md, "Proc trees") ----
// A child ends with its parent unless spawned detached, and runs inside its parent's limits (0 = the parent's).

@external("ww", "spawn_with") declare function sup_spawn_with(kind: i32, module: usize, mlen: i32, args: usize, alen: i32, env: usize, elen: i32, where: usize, wlen: i32, opts: usize): i32
@external("ww", "wait_timeout") declare function sup_wait_timeout(h: i32, timeoutMs: i32, reasonOut: usize): i32
@external("ww", "monitor") declare function sup_monitor(h: i32, sender: i32): i32
@external("ww", "kill") declare function sup_kill(h: i32): i32

export const MODULE_SELF: i32 = 2
export const SPAWN_DETACHED: i32 = 1
export const DOWN_BYTES: i32 = 12
/** How a proc ended (WaitResult.reason, Down.reason). */
export const EXITED: i32 = 0
export const KILLED: i32 = 1
export const OUT_OF_FUEL: i32 = 2
export const OUT_OF_MEMORY: i32 = 3
export const TRAPPED: i32 = 4
export const TIMED_OUT: i32 = 5
export const HOST_LOST: i32 = 6

function nulList(items: string[]): ArrayBuffer {
  let s = ""
  for (let i = 0; i < items.length; i++) s += items[i] + "\0"
  return String.UTF8.encode(s)
}

/**
 * Spawns this module again with `argv` (argv[1..]) at `where` ("" = here, a peer ID or k=v); returns a proc handle or a
 * negative error. Limits: 0 = the parent's; more than the parent's = the parent's.
 */
export function spawnSelf(argv: string[], where: string = "", detached: bool = false, memoryBytes: i64 = 0, fuel: i64 = 0, timeoutMs: i64 = 0): i32 {
  const a = nulList(argv)
  const w = String.UTF8.encode(where)
  const opts = new ArrayBuffer(32)
  const o = changetype<usize>(opts)
  store<i32>(o, detached ? SPAWN_DETACHED : 0)
  store<i32>(o + 4, 0)
  store<i64>(o + 8, memoryBytes)
  store<i64>(o + 16, fuel)
  store<i64>(o + 24, timeoutMs)
  return sup_spawn_with(MODULE_SELF, 0, 0, changetype<usize>(a), a.byteLength, 0, 0, changetype<usize>(w), w.byteLength, o)
}

/** How a waited-for proc ended: `result` is its exit code (>= 0) or a negative error (TIMEOUT: it still runs). */
export class WaitResult {
  constructor(public result: i32, public reason: i32) {}
}

/** Waits for a proc at most `timeoutMs` (< 0: no limit). */
export function waitTimeout(h: i32, timeoutMs: i32 = -1): WaitResult {
  const r = memory.data(4, 4)
  store<i32>(r, -1)
  const n = sup_wait_timeout(h, timeoutMs, r)
  return new WaitResult(n, n < 0 ? -1 : load<i32>(r))
}

export function kill(h: i32): i32 { return sup_kill(h) }

/** When proc `h` ends, a Down message (DOWN_BYTES) goes to `sender`; 0 or a negative error. */
export function monitor(h: i32, sender: i32): i32 { return sup_monitor(h, sender) }

/** A monitor message: the proc handle given to monitor(), how it ended, its exit code (when reason = EXITED). */
export class Down {
  constructor(public proc: i32, public reason: i32, public code: i32) {}
}

/** Receives a monitor message from `h`; null on error or when what came is not one (see lastError()). */
export function recvDown(h: i32): Down | null {
  const buf = memory.data(16, 8)
  const n = ww_recv(h, buf, 16, 0)
  if (n != DOWN_BYTES) return null
  return new Down(load<i32>(buf), load<i32>(buf + 4), load<i32>(buf + 8))
}
