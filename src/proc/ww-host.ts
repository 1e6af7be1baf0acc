// The `ww` host module: what a guest calls to use anchors, channels and procs.
// Every call returns an i32: >= 0 on success, a negative WwErrno on failure, with the message
// kept for ww.last_error. Calls that may wait return a Promise, which suspends only this guest.

import { logger } from '../log.js'
import { parsePath } from '../anchor/index.js'
import { AlreadyExists, Canceled, Closed, Disconnected, InvalidArgument, LimitExceeded, ModuleNotFound, NotFound, Occupied, PermissionDenied, Timeout, Unavailable, Unimplemented } from '../errors.js'
import { WwErrno } from './abi.js'
import { Fault, type GuestMemory, utf8 } from './guest-memory.js'
import { BadHandle, HandleTable } from './handles.js'
import type { RuntimeLimits } from './limits.js'
import { ProcEnd } from './signals.js'
import type { Cap, GuestSpawnRequest, GuestWorld, Message, RecvSink } from './world.js'
import { runReadyGuest, type Parked } from './parked.js'
import { clusterCalls } from './ww-cluster-calls.js'
import { procTreeImports, type ProcTreeKit } from './ww-host-procs.js'

const log = logger('ww:proc:host')

const MODULE_BYTES = 0
const MODULE_HASH = 1
const MODULE_SELF = 2
const HASH_BYTES = 32
const NO_CAP = -1
const REASON_CODES = { exited: 0, killed: 1, outOfFuel: 2, outOfMemory: 3, trapped: 4, timedOut: 5 } as const

export interface HostContext {
  memory: GuestMemory
  world: GuestWorld
  limits: RuntimeLimits
  /** Aborted when the proc ends: withdraws its pending operations. */
  signal: () => AbortSignal
  /** Why the proc is ending, once it is. */
  endReason: () => unknown
  /** The SHA-256 of this proc's module (for spawning itself). */
  selfHash: Uint8Array
  pid: number
  yieldNow: () => Promise<void>
  /** A wait without a promise (parked.ts): the host call returns it, and wakes it with its result. */
  park: () => Parked
}

function codeOf (err: unknown): number {
  if (err instanceof Fault) return WwErrno.FAULT
  if (err instanceof BadHandle) return WwErrno.BAD_HANDLE
  if (err instanceof NotFound) return WwErrno.NOT_FOUND
  if (err instanceof Closed) return WwErrno.CLOSED
  if (err instanceof InvalidArgument) return WwErrno.INVALID
  if (err instanceof LimitExceeded) return WwErrno.LIMIT
  if (err instanceof Occupied) return WwErrno.OCCUPIED
  if (err instanceof Timeout) return WwErrno.TIMEOUT
  if (err instanceof Disconnected) return WwErrno.DISCONNECTED
  if (err instanceof Canceled) return WwErrno.CANCELED
  if (err instanceof ModuleNotFound) return WwErrno.MODULE_NOT_FOUND
  if (err instanceof Unimplemented) return WwErrno.UNIMPLEMENTED
  if (err instanceof Unavailable) return WwErrno.UNAVAILABLE
  if (err instanceof PermissionDenied) return WwErrno.PERMISSION_DENIED
  if (err instanceof AlreadyExists) return WwErrno.ALREADY_EXISTS
  // a socket error that escaped untyped: the other side cannot be reached
  const code = (err as { code?: unknown } | undefined)?.code
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE)$/.test(code)) return WwErrno.UNAVAILABLE
  return WwErrno.OTHER
}


/** NUL-separated strings ("a\0b\0" or "a\0b") to a list. */
function nulList (bytes: Uint8Array): string[] {
  if (bytes.length === 0) return []
  const s = new TextDecoder().decode(bytes)
  const items = s.split('\0')
  if (items[items.length - 1] === '') items.pop()
  return items
}

type HostTable = Record<string, (...a: any[]) => unknown>

const zero = (): number => 0

/** The names procTreeImports and clusterCalls provide (learnt once: WwHost.importFn). */
let treeNames: Set<string> | undefined
let clusterNames: Set<string> | undefined

export class WwHost {
  readonly handles: HandleTable
  /** Messages a receive end gave up after a ww_select had chosen another: the next receive on that handle takes them first. */
  readonly early = new Map<number, Message[]>()
  /** Handles of the capabilities the spawner handed this proc (ww_arg_cap). */
  readonly argHandles: number[]
  private lastError = ''

  constructor (readonly ctx: HostContext) {
    this.handles = new HandleTable(ctx.limits.maxHandles)
    this.argHandles = (ctx.world.argCaps?.() ?? []).map(c => this.handles.add(c))
  }

  /** Writes a received message (and its capability's handle, if asked for) into guest memory; its length. */
  private deliver (msg: Message, buf: number, cap: number, capOut: number): number {
    const mem = this.ctx.memory
    mem.writeTruncated(buf, cap, msg.data)
    if (capOut !== 0) mem.setI32(capOut, msg.cap !== undefined ? this.handles.add(msg.cap) : NO_CAP)
    else msg.cap?.ref?.release() // the guest did not ask for it
    return msg.data.length
  }

  /** Releases every handle and every stashed message's capability (the proc ended). */
  clear (): void {
    this.handles.clear()
    for (const list of this.early.values()) for (const m of list) m.cap?.ref?.release()
    this.early.clear()
  }

  /** A message stashed for handle `h` by a ww_select, if any. */
  takeEarly (h: number): Message | undefined {
    const list = this.early.get(h)
    const m = list?.shift()
    if (list !== undefined && list.length === 0) this.early.delete(h)
    return m
  }

  private fail (err: unknown): number {
    if (err instanceof ProcEnd) throw err
    const ending = this.ctx.endReason()
    if (ending !== undefined) throw ending
    this.lastError = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, this.ctx.limits.maxErrorMessage)
    log.trace('host call failed: %s', this.lastError)
    return codeOf(err)
  }

  /** Runs a host call: sync results and errors are returned as codes, async ones via the promise. */
  call (fn: () => number | Promise<number>): number | Promise<number> {
    try {
      const r = fn()
      return r instanceof Promise ? r.catch(err => this.fail(err)) : r
    } catch (err) {
      return this.fail(err)
    }
  }

  buf (ptr: number, len: number): Uint8Array {
    if ((len >>> 0) > this.ctx.limits.maxGuestBuffer) throw new LimitExceeded(`buffer of ${len >>> 0} bytes; the limit is ${this.ctx.limits.maxGuestBuffer}`)
    return this.ctx.memory.copy(ptr, len)
  }

  path (ptr: number, len: number): string[] {
    return parsePath(new TextDecoder().decode(this.buf(ptr, len)))
  }

  cap<K extends Cap['kind']> (h: number, kind: K, or?: K): Extract<Cap, { kind: K }> {
    const c = this.handles.get(h)
    if (c.kind !== kind && c.kind !== or) throw new InvalidArgument(`handle ${h} is a ${c.kind}, not a ${or === undefined ? kind : `${kind} or ${or}`}`)
    return c as Extract<Cap, { kind: K }>
  }

  /** The module, args, env and placement of a ww_spawn, read from guest memory. */
  spawnRequest (kind: number, mp: number, ml: number, ap: number, al: number, ep: number, el: number, wp: number, wl: number): GuestSpawnRequest {
    let module
    if (kind === MODULE_BYTES) module = { bytes: this.buf(mp, ml) }
    else if (kind === MODULE_HASH) {
      if (ml !== HASH_BYTES) throw new InvalidArgument(`a module hash is ${HASH_BYTES} bytes, not ${ml}`)
      module = { hash: this.buf(mp, ml) }
    } else if (kind === MODULE_SELF) module = { hash: this.ctx.selfHash }
    else throw new InvalidArgument(`unknown module kind ${kind}`)
    const args = nulList(this.buf(ap, al))
    const env = nulList(this.buf(ep, el))
    const where = new TextDecoder().decode(this.buf(wp, wl))
    return { module, args, env, where }
  }

  /** Where the ww_recv the guest waits in delivers its message. */
  private readonly waitingRecv = { buf: 0, cap: 0, capOut: 0 }
  private readonly received = (msg: Message): number => {
    const w = this.waitingRecv
    try { return this.deliver(msg, w.buf, w.cap, w.capOut) } catch (err) { return this.fail(err) }
  }

  private readonly failed = (err: unknown): number => this.fail(err)

  /** The wait a parked ww_recv is in. */
  private parked: Parked | undefined
  /** Where a parked ww_recv learns of its message, in the sender's step: delivered there, the guest made ready. */
  private readonly recvSink: RecvSink = {
    onMessage: msg => {
      let v: number
      try { v = this.received(msg) } catch (end) { this.parked!.fail(end); return } // the proc is ending
      this.parked!.wake(v)
    },
    onError: err => {
      let v: number
      try { v = this.fail(err) } catch (end) { this.parked!.fail(end); return }
      this.parked!.wake(v)
    }
  }

  /** The proc's signal (one for its life) in the options of every wait. */
  get opts (): { signal: AbortSignal } { return (this.waitOpts ??= { signal: this.ctx.signal() }) }
  private waitOpts: { signal: AbortSignal } | undefined

  private core: HostTable | undefined
  private cluster: HostTable | undefined
  private tree: HostTable | undefined

  /**
   * The ww host function `name`, building only the table that holds it (the proc-tree calls override the core and
   * cluster ones of the same name, as they did in one merged table): a spawn of a
   * guest that imports only the core calls builds no cluster or proc-tree closures. The tables' names are learnt
   * from the first proc that builds them all.
   */
  importFn (name: string): ((...a: any[]) => unknown) | undefined {
    if (treeNames === undefined || clusterNames === undefined) {
      const tree = procTreeImports(this.procTreeKit())
      const cluster = clusterCalls(this)
      treeNames = new Set(Object.keys(tree))
      clusterNames = new Set(Object.keys(cluster))
      this.tree ??= tree
      this.cluster ??= cluster
    }
    if (treeNames.has(name)) return (this.tree ??= procTreeImports(this.procTreeKit()))[name]
    if (clusterNames.has(name)) return (this.cluster ??= clusterCalls(this))[name]
    return Object.hasOwn(this.coreImports(), name) ? this.coreImports()[name] : undefined
  }

  private coreImports (): HostTable {
    if (this.core !== undefined) return this.core
    const { memory: mem, world } = this.ctx
    this.core = {
      last_error: (buf: number, cap: number) => this.call(() => {
        const msg = utf8(this.lastError)
        mem.writeTruncated(buf, cap, msg)
        return msg.length
      }),
      // run on every message that carries a capability (a reply sender): written out without this.call's closure
      release: (h: number) => {
        try {
          this.handles.release(h)
          if (this.early.size !== 0) {
            for (const m of this.early.get(h) ?? []) m.cap?.ref?.release()
            this.early.delete(h)
          }
          return 0
        } catch (err) {
          return this.fail(err)
        }
      },
      walk: (p: number, n: number) => this.call(async () => this.handles.add(await world.walk(this.path(p, n), this.opts))),
      ls: (p: number, n: number, buf: number, cap: number) => this.call(async () => {
        const path = this.path(p, n)
        mem.check(buf, cap)
        const names = utf8((await world.ls(path, this.opts)).join('\n'))
        mem.writeTruncated(buf, cap, names)
        return names.length
      }),
      load: (p: number, n: number) => this.call(async () => {
        const v = await world.load(this.path(p, n), this.opts)
        if ('bytes' in v) throw new InvalidArgument('the anchor holds bytes; use load_bytes')
        return this.handles.add(v.cap)
      }),
      load_bytes: (p: number, n: number, buf: number, cap: number) => this.call(async () => {
        const path = this.path(p, n)
        mem.check(buf, cap)
        const v = await world.load(path, this.opts)
        if (!('bytes' in v)) throw new InvalidArgument(`the anchor holds a ${v.cap.kind}; use load`)
        mem.writeTruncated(buf, cap, v.bytes)
        return v.bytes.length
      }),
      store: (p: number, n: number, h: number, overwrite: number) => this.call(async () => {
        const path = this.path(p, n)
        const value = h === NO_CAP ? undefined : { cap: this.handles.get(h) }
        await world.store(path, value, overwrite !== 0, this.opts)
        return 0
      }),
      store_bytes: (p: number, n: number, data: number, len: number, overwrite: number) => this.call(async () => {
        await world.store(this.path(p, n), { bytes: this.buf(data, len) }, overwrite !== 0, this.opts)
        return 0
      }),
      chan: (capacity: number) => this.call(() => {
        if (capacity < 0) throw new InvalidArgument(`negative capacity ${capacity}`)
        return this.handles.add(world.chan(capacity))
      }),
      // a facet shares its capability's CapRef: the new handle holds one more reference (its methods may be a class's)
      sender: (h: number) => this.call(() => {
        const c = this.cap(h, 'chan', 'sender')
        c.ref?.retain()
        return this.handles.add({ kind: 'sender', send: c.send.bind(c), trySend: c.trySend?.bind(c), ref: c.ref, origin: c.origin?.sender })
      }),
      recver: (h: number) => this.call(() => {
        const c = this.cap(h, 'chan', 'recver')
        c.ref?.retain()
        return this.handles.add({ kind: 'recver', recv: c.recv.bind(c), tryRecv: c.tryRecv?.bind(c), recvThen: c.recvThen?.bind(c), ref: c.ref, origin: c.origin?.recver })
      }),
      // send and recv run on every message: written out without this.call's closure
      send: (h: number, data: number, len: number, capH: number) => {
        try {
          const c = this.cap(h, 'chan', 'sender')
          const msg: Message = { data: this.buf(data, len), cap: capH !== NO_CAP ? this.handles.get(capH) : undefined }
          if (c.trySend?.(msg) === true) return 0
          return c.send(msg, this.opts).then(zero, this.failed)
        } catch (err) {
          return this.fail(err)
        }
      },
      recv: (h: number, buf: number, cap: number, capOut: number) => {
        try {
          const c = this.cap(h, 'chan', 'recver')
          mem.check(buf, cap)
          if (capOut !== 0) mem.check(capOut, 4)
          // a message that is there already is taken without suspending the guest
          const now = (this.early.size !== 0 ? this.takeEarly(h) : undefined) ?? c.tryRecv?.()
          if (now !== undefined) return this.deliver(now, buf, cap, capOut)
          // the guest waits in this one call until it resumes: where to deliver is kept here, not in a closure per wait
          this.waitingRecv.buf = buf
          this.waitingRecv.cap = cap
          this.waitingRecv.capOut = capOut
          if (c.recvThen === undefined) return c.recv(this.opts).then(this.received, this.failed)
          // a guest this one woke (its send handed a message over) runs first, here: if it answers at once, this
          // guest takes the answer without suspending (parked.ts)
          if (runReadyGuest()) {
            const again = c.tryRecv?.()
            if (again !== undefined) return this.deliver(again, buf, cap, capOut)
          }
          const parked = this.parked = this.ctx.park()
          c.recvThen(this.opts, this.recvSink)
          return parked.woken ? parked.take() as number : parked
        } catch (err) {
          return this.fail(err)
        }
      },
      close: (h: number) => this.call(() => { this.cap(h, 'chan').close(); return 0 }),
      spawn: (kind: number, mp: number, ml: number, ap: number, al: number, ep: number, el: number, wp: number, wl: number) => this.call(async () => {
        return this.handles.add(await world.spawn(this.spawnRequest(kind, mp, ml, ap, al, ep, el, wp, wl), this.opts))
      }),
      wait: (h: number, reasonOut: number) => this.call(async () => {
        const p = this.cap(h, 'proc')
        if (reasonOut !== 0) mem.check(reasonOut, 4)
        const st = await p.wait(this.opts)
        if (reasonOut !== 0) mem.setI32(reasonOut, REASON_CODES[st.reason])
        return st.reason === 'exited' ? Math.max(0, st.code) : 0
      }),
      kill: (h: number) => this.call(() => { this.cap(h, 'proc').kill(); return 0 }),
      proc_stdout: (h: number) => this.call(() => this.handles.add(this.cap(h, 'proc').stdout())),
      yield: () => this.call(async () => { await this.ctx.yieldNow(); return 0 })
    }
    return this.core
  }

  // ---- supervised proc trees (ww-host-procs.ts) ----

  private procTreeKit (): ProcTreeKit {
    return {
      memory: this.ctx.memory,
      call: fn => this.call(fn),
      proc: h => this.cap(h, 'proc'),
      sender: h => this.cap(h, 'sender', 'chan'),
      addHandle: cap => this.handles.add(cap),
      signal: () => this.ctx.signal()
    }
  }

}
