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
@external("ww", "recver") declare function ww_recver(h: i32): i32
@external("ww", "ls") declare function ww_ls(path: usize, len: i32, buf: usize, cap: i32): i32
@external("ww", "spawn") declare function ww_spawn(kind: i32, m: usize, ml: i32, a: usize, al: i32, e: usize, el: i32, w: usize, wl: i32): i32
@external("ww", "spawn_with") declare function ww_spawn_with(kind: i32, m: usize, ml: i32, a: usize, al: i32, e: usize, el: i32, w: usize, wl: i32,
  caps: usize, ncaps: i32, limits: usize, root: usize, rl: i32, flags: i32): i32
@external("ww", "wait") declare function ww_wait(h: i32, reason: usize): i32
@external("ww", "kill") declare function ww_kill(h: i32): i32
@external("ww", "proc_stdout") declare function ww_proc_stdout(h: i32): i32
@external("ww", "peer_id") declare function ww_peer_id(buf: usize, cap: i32): i32
@external("ww", "pid") declare function ww_pid(): i32
@external("ww", "module_hash") declare function ww_module_hash(buf: usize, cap: i32): i32
@external("ww", "nodes_count") declare function ww_nodes_count(): i32
@external("ww", "nodes") declare function ww_nodes(w: usize, wl: i32, buf: usize, cap: i32): i32
@external("ww", "node_meta") declare function ww_node_meta(p: usize, pl: i32, buf: usize, cap: i32): i32
@external("ww", "recv_timeout") declare function ww_recv_timeout(h: i32, buf: usize, cap: i32, capOut: usize, timeoutMs: i32): i32
@external("ww", "select") declare function ww_select(hs: usize, n: i32, timeoutMs: i32, which: usize, buf: usize, cap: i32, capOut: usize): i32
@external("ww", "request") declare function ww_request(h: i32, data: usize, len: i32, buf: usize, cap: i32, capOut: usize, timeoutMs: i32): i32
@external("ww", "arg_caps") declare function ww_arg_caps(): i32
@external("ww", "arg_cap") declare function ww_arg_cap(i: i32): i32
@external("ww", "publish") declare function ww_publish(t: usize, tl: i32, data: usize, len: i32): i32
@external("ww", "subscribe") declare function ww_subscribe(t: usize, tl: i32, buffer: i32): i32
@external("ww", "endpoint_publish") declare function ww_endpoint_publish(n: usize, nl: i32, h: i32): i32
@external("ww", "endpoint_unpublish") declare function ww_endpoint_unpublish(n: usize, nl: i32): i32
@external("ww", "endpoint_count") declare function ww_endpoint_count(n: usize, nl: i32): i32
@external("ww", "endpoint_send") declare function ww_endpoint_send(n: usize, nl: i32, data: usize, len: i32, cap: i32, pick: i32): i32

// The scratch area the runtime suspends the guest into (it looks for these two exports).
const ASYNCIFY_BYTES = 16384
const asyncifyArea = memory.data(ASYNCIFY_BYTES, 16)
export function ww_asyncify_buffer(): usize { return asyncifyArea }
export function ww_asyncify_size(): i32 { return ASYNCIFY_BYTES }

export const NONE: i32 = -1
/** A timeout that never fires (0: take only what is there now; > 0: milliseconds). */
export const FOREVER: i32 = -1

// Error codes (the same as guest/c/ww.h); lastCode() is the last one a call of this SDK returned.
export const ENOTFOUND: i32 = -1
export const ECLOSED: i32 = -2
export const EINVAL: i32 = -3
export const EFAULT: i32 = -4
export const EBADHANDLE: i32 = -5
export const ELIMIT: i32 = -6
export const EOCCUPIED: i32 = -7
export const ETIMEOUT: i32 = -8
export const EDISCONNECTED: i32 = -9
export const ECANCELED: i32 = -10
export const EMODULENOTFOUND: i32 = -11
export const EUNIMPLEMENTED: i32 = -12
export const EUNAVAILABLE: i32 = -13
export const EPERMISSION: i32 = -14
export const EEXISTS: i32 = -15
export const EOTHER: i32 = -99

// How a waited-for proc ended (Exit.reason).
export const EXITED: i32 = 0
export const KILLED: i32 = 1
export const OUT_OF_FUEL: i32 = 2
export const OUT_OF_MEMORY: i32 = 3
export const TRAPPED: i32 = 4
export const TIMED_OUT: i32 = 5

// Module kinds (SpawnOptions.moduleKind).
export const MODULE_BYTES: i32 = 0
export const MODULE_HASH: i32 = 1
export const MODULE_SELF: i32 = 2

let code: i32 = 0
/** Keeps a call's result: a negative one is the code lastCode() returns. */
function kept(r: i32): i32 {
  if (r < 0) code = r
  return r
}
/** The code of the last failed call of this SDK (see lastError() for its message). */
export function lastCode(): i32 { return code }

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
export function chan(capacity: i32): i32 { return kept(ww_chan(capacity)) }
export function sender(h: i32): i32 { return kept(ww_sender(h)) }
export function recver(h: i32): i32 { return kept(ww_recver(h)) }
export function close(h: i32): i32 { return kept(ww_close(h)) }
export function release(h: i32): i32 { return kept(ww_release(h)) }

export function loadCap(path: string): i32 {
  const p = String.UTF8.encode(path)
  return kept(ww_load(changetype<usize>(p), p.byteLength))
}

export function storeCap(path: string, h: i32, overwrite: bool = true): i32 {
  const p = String.UTF8.encode(path)
  return kept(ww_store(changetype<usize>(p), p.byteLength, h, overwrite ? 1 : 0))
}

/** Sends a string, with an optional capability riding along. */
export function send(h: i32, msg: string, cap: i32 = NONE): i32 {
  const b = String.UTF8.encode(msg)
  return kept(ww_send(h, changetype<usize>(b), b.byteLength, cap))
}

/** A received message: its text and the capability that came with it (NONE if none). */
export class Message {
  constructor(public text: string, public cap: i32) {}
}

/** Receives one message of at most `max` bytes; null on error (see lastCode(), lastError()). */
export function recv(h: i32, max: i32 = 65536): Message | null {
  const buf = new ArrayBuffer(max)
  const capOut = memory.data(4, 4)
  const n = kept(ww_recv(h, changetype<usize>(buf), max, capOut))
  if (n < 0) return null
  return new Message(String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>min(n, max)), load<i32>(capOut))
}

/** recv that gives up after `timeoutMs` (null, lastCode() ETIMEOUT); 0 takes only a message there now. */
export function recvTimeout(h: i32, timeoutMs: i32, max: i32 = 65536): Message | null {
  const buf = new ArrayBuffer(max)
  const capOut = memory.data(4, 4)
  const n = kept(ww_recv_timeout(h, changetype<usize>(buf), max, capOut, timeoutMs))
  if (n < 0) return null
  return new Message(String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>min(n, max)), load<i32>(capOut))
}

let selected: i32 = -1
/** Which handle the last select() took its message from (or which one was closed; -1 after a timeout). */
export function selectedIndex(): i32 { return selected }

/** Receives from whichever of `hs` has a message first (see selectedIndex()); null on error or timeout. */
export function select(hs: i32[], timeoutMs: i32, max: i32 = 65536): Message | null {
  const list = new ArrayBuffer(hs.length * 4)
  for (let i = 0; i < hs.length; i++) store<i32>(changetype<usize>(list) + <usize>i * 4, hs[i])
  const buf = new ArrayBuffer(max)
  const capOut = memory.data(4, 4)
  const which = memory.data(4, 4)
  const n = kept(ww_select(changetype<usize>(list), hs.length, timeoutMs, which, changetype<usize>(buf), max, capOut))
  selected = load<i32>(which)
  if (n < 0) return null
  return new Message(String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>min(n, max)), load<i32>(capOut))
}

/** Request/reply: sends `msg` on `h` with a fresh reply sender and waits for the one answer; null on error or timeout. */
export function request(h: i32, msg: string, timeoutMs: i32 = FOREVER, max: i32 = 65536): Message | null {
  const b = String.UTF8.encode(msg)
  const buf = new ArrayBuffer(max)
  const capOut = memory.data(4, 4)
  const n = kept(ww_request(h, changetype<usize>(b), b.byteLength, changetype<usize>(buf), max, capOut, timeoutMs))
  if (n < 0) return null
  return new Message(String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>min(n, max)), load<i32>(capOut))
}

/** A host call that fills a buffer with text: grows the buffer until it all fits; null on error. */
function textOf(fill: (buf: usize, cap: i32) => i32): string | null {
  let cap = 4096
  let buf = new ArrayBuffer(cap)
  let n = kept(fill(changetype<usize>(buf), cap))
  if (n > cap) { // it grew: once more with room for all of it
    cap = n
    buf = new ArrayBuffer(cap)
    n = kept(fill(changetype<usize>(buf), cap))
  }
  if (n < 0) return null
  return String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>min(n, cap))
}

function lines(s: string | null): string[] | null {
  if (s === null) return null
  const out = new Array<string>()
  if (s.length == 0) return out
  return s.split("\n")
}

let pathArg: ArrayBuffer = new ArrayBuffer(0)
let whereArg: ArrayBuffer = new ArrayBuffer(0)

/** Children of the anchor at `path`; null on error. */
export function ls(path: string): string[] | null {
  pathArg = String.UTF8.encode(path)
  return lines(textOf((buf: usize, cap: i32): i32 => ww_ls(changetype<usize>(pathArg), pathArg.byteLength, buf, cap)))
}

/** This host's peer ID. */
export function peerId(): string {
  const s = textOf((buf: usize, cap: i32): i32 => ww_peer_id(buf, cap))
  return s === null ? "" : s
}
/** This proc's pid on its host. */
export function pid(): i32 { return ww_pid() }
/** The SHA-256 of this proc's module. */
export function moduleHash(): Uint8Array {
  const h = new Uint8Array(32)
  ww_module_hash(h.dataStart, 32)
  return h
}
/** How many live hosts the cluster has, this one included. */
export function nodesCount(): i32 { return kept(ww_nodes_count()) }
/** Peer IDs of the live hosts whose meta has every `k=v` pair of `where`; null on error. */
export function nodes(where: string[] = []): string[] | null {
  whereArg = String.UTF8.encode(where.join("\n"))
  return lines(textOf((buf: usize, cap: i32): i32 => ww_nodes(changetype<usize>(whereArg), whereArg.byteLength, buf, cap)))
}
/** A live host's `k=v` meta pairs; null on error (ENOTFOUND: not a live host). */
export function nodeMeta(peer: string): string[] | null {
  pathArg = String.UTF8.encode(peer)
  return lines(textOf((buf: usize, cap: i32): i32 => ww_node_meta(changetype<usize>(pathArg), pathArg.byteLength, buf, cap)))
}

/**
 * What spawn() may add: the module (default this proc's own), environment, capabilities handed over, limits (0 = this
 * proc's; more than this proc's = this proc's), root, detached.
 */
export class SpawnOptions {
  moduleKind: i32 = MODULE_SELF
  module: Uint8Array | null = null
  env: string[] = []
  caps: i32[] = []
  memoryBytes: u64 = 0
  fuel: u64 = 0
  timeoutMs: u64 = 0
  /** A path under this proc's root that the child sees as "/"; "" = this proc's root. */
  root: string = ""
  /** The child outlives this proc (else it ends when this proc ends). */
  detached: bool = false
}

function nulJoined(items: string[]): ArrayBuffer {
  let s = ""
  for (let i = 0; i < items.length; i++) s += items[i] + "\0"
  return String.UTF8.encode(s)
}

/** Spawns a child (argv[1..] = `argv`) on `where` ("" here, a peer ID, or `k=v` pairs, all to match); a proc handle or a negative code. */
export function spawn(argv: string[], where: string = "", opts: SpawnOptions | null = null): i32 {
  const o = opts === null ? new SpawnOptions() : opts
  const a = nulJoined(argv)
  const e = nulJoined(o.env)
  const w = String.UTF8.encode(where)
  const m = o.module
  const mp: usize = m === null ? 0 : m.dataStart
  const ml: i32 = m === null ? 0 : m.byteLength
  if (o.caps.length == 0 && o.memoryBytes == 0 && o.fuel == 0 && o.timeoutMs == 0 && o.root.length == 0 && !o.detached) {
    return kept(ww_spawn(o.moduleKind, mp, ml, changetype<usize>(a), a.byteLength, changetype<usize>(e), e.byteLength, changetype<usize>(w), w.byteLength))
  }
  const caps = new ArrayBuffer(o.caps.length * 4)
  for (let i = 0; i < o.caps.length; i++) store<i32>(changetype<usize>(caps) + <usize>i * 4, o.caps[i])
  const limits = new ArrayBuffer(24)
  store<u64>(changetype<usize>(limits), o.memoryBytes)
  store<u64>(changetype<usize>(limits) + 8, o.fuel)
  store<u64>(changetype<usize>(limits) + 16, o.timeoutMs)
  const r = String.UTF8.encode(o.root)
  return kept(ww_spawn_with(o.moduleKind, mp, ml, changetype<usize>(a), a.byteLength, changetype<usize>(e), e.byteLength, changetype<usize>(w), w.byteLength,
    changetype<usize>(caps), o.caps.length, changetype<usize>(limits), changetype<usize>(r), r.byteLength, o.detached ? SPAWN_DETACHED : 0))
}

/** How a proc ended: its exit code, and the reason (EXITED, KILLED, ...). */
export class Exit {
  constructor(public code: i32, public reason: i32) {}
}
/** Waits for a proc to end; null on error. */
export function wait(proc: i32): Exit | null {
  const reason = memory.data(4, 4)
  const c = kept(ww_wait(proc, reason))
  if (c < 0) return null
  return new Exit(c, load<i32>(reason))
}
export function kill(proc: i32): i32 { return kept(ww_kill(proc)) }
/** A receive handle for a child's stdout (one message per write). */
export function procStdout(proc: i32): i32 { return kept(ww_proc_stdout(proc)) }
/** How many capabilities the spawner handed this proc. */
export function argCaps(): i32 { return ww_arg_caps() }
/** The handle of the i-th of them (ENOTFOUND past the end). */
export function argCap(i: i32): i32 { return kept(ww_arg_cap(i)) }

/** Publishes to a cluster topic (every subscriber, this host's included). */
export function publish(topic: string, msg: string): i32 {
  const t = String.UTF8.encode(topic)
  const b = String.UTF8.encode(msg)
  return kept(ww_publish(changetype<usize>(t), t.byteLength, changetype<usize>(b), b.byteLength))
}
/** A receive handle fed with a topic's messages (the newest `buffer` kept; 0 = default); release it to unsubscribe. */
export function subscribe(topic: string, buffer: i32 = 0): i32 {
  const t = String.UTF8.encode(topic)
  return kept(ww_subscribe(changetype<usize>(t), t.byteLength, buffer))
}

// ---- named endpoints (guest/README.md, "Endpoints") ----
/** Each send from this host goes to the next endpoint of the name, in (peer, id) order. */
export const PICK_ROUND_ROBIN: i32 = 0
export const PICK_RANDOM: i32 = 1

/** Publishes a channel (or a sender) under `name` for as long as this proc runs (or until unpublishEndpoint). */
export function publishEndpoint(name: string, chan: i32): i32 {
  const n = String.UTF8.encode(name)
  return kept(ww_endpoint_publish(changetype<usize>(n), n.byteLength, chan))
}
/** Ends this proc's endpoint under `name` (ENOTFOUND if it has none). */
export function unpublishEndpoint(name: string): i32 {
  const n = String.UTF8.encode(name)
  return kept(ww_endpoint_unpublish(changetype<usize>(n), n.byteLength))
}
/** How many live endpoints `name` has across the cluster. */
export function endpointCount(name: string): i32 {
  const n = String.UTF8.encode(name)
  return kept(ww_endpoint_count(changetype<usize>(n), n.byteLength))
}
/** Sends `msg` (with `cap` riding along, NONE: none) to one live endpoint of `name` (ENOTFOUND when none is live). */
export function sendEndpoint(name: string, msg: string, cap: i32 = NONE, pick: i32 = PICK_ROUND_ROBIN): i32 {
  const n = String.UTF8.encode(name)
  const b = String.UTF8.encode(msg)
  return kept(ww_endpoint_send(changetype<usize>(n), n.byteLength, changetype<usize>(b), b.byteLength, cap, pick))
}

// ---- supervised proc trees (guest/README.md, "Proc trees") ----
// A child ends with its parent unless spawned detached, and runs inside its parent's limits (0 = the parent's).

@external("ww", "wait_timeout") declare function ww_wait_timeout(h: i32, timeoutMs: i32, reasonOut: usize): i32
@external("ww", "monitor") declare function ww_monitor(h: i32, sender: i32): i32

export const SPAWN_DETACHED: i32 = 1
export const DOWN_BYTES: i32 = 12
/** ww_wait's reason when the proc's host went away (connection lost, or it left the cluster). */
export const HOST_LOST: i32 = 6

/**
 * Spawns this module again with `argv` (argv[1..]) at `where` ("" = here, a peer ID or k=v); returns a proc handle or a
 * negative error. Limits: 0 = the parent's; more than the parent's = the parent's.
 */
export function spawnSelf(argv: string[], where: string = "", detached: bool = false, memoryBytes: u64 = 0, fuel: u64 = 0, timeoutMs: u64 = 0): i32 {
  const o = new SpawnOptions()
  o.detached = detached
  o.memoryBytes = memoryBytes
  o.fuel = fuel
  o.timeoutMs = timeoutMs
  return spawn(argv, where, o)
}

/** How a waited-for proc ended: `result` is its exit code (>= 0) or a negative error (TIMEOUT: it still runs). */
export class WaitResult {
  constructor(public result: i32, public reason: i32) {}
}

/** Waits for a proc at most `timeoutMs` (< 0: no limit). */
export function waitTimeout(h: i32, timeoutMs: i32 = -1): WaitResult {
  const r = memory.data(4, 4)
  store<i32>(r, -1)
  const n = kept(ww_wait_timeout(h, timeoutMs, r))
  return new WaitResult(n, n < 0 ? -1 : load<i32>(r))
}

/** When proc `h` ends, a Down message (DOWN_BYTES) goes to `sender`; 0 or a negative error. */
export function monitor(h: i32, sender: i32): i32 { return kept(ww_monitor(h, sender)) }

/** A monitor message: the proc handle given to monitor(), how it ended, its exit code (when reason = EXITED). */
export class Down {
  constructor(public proc: i32, public reason: i32, public code: i32) {}
}

/** Receives a monitor message from `h`; null on error or when what came is not one (see lastError()). */
export function recvDown(h: i32): Down | null {
  const buf = memory.data(16, 8)
  const n = kept(ww_recv(h, buf, 16, 0))
  if (n != DOWN_BYTES) return null
  return new Down(load<i32>(buf), load<i32>(buf + 4), load<i32>(buf + 8))
}
