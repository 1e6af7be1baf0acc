// The `ww` host calls that reach the cluster from a guest (issue 20 §3): who am I, the live hosts
// and their meta, receive with a timeout, select, request/reply, spawn with capabilities, limits
// and root, the capabilities a spawner handed over, pub/sub. Same contract as ww-host.ts: an i32
// >= 0 on success, a negative WwErrno on failure.
//
// A timeout is in milliseconds: < 0 waits for ever, 0 takes only what is there now, > 0 waits at
// most that long and then fails with Timeout. A wait that gives up on a receive end on another
// host cancels the RPC call; a message that host had already taken for it is lost with it.

import { Canceled, InvalidArgument, LimitExceeded, NotFound, Timeout, Unimplemented } from '../errors.js'
import type { OpOptions } from '../csp/index.js'
import { utf8 } from './guest-memory.js'
import type { ProcLimits } from './limits.js'
import type { Cap, ChanCap, EndpointPick, Message, RecverCap, ReplySlot } from './world.js'
import { runReadyGuest } from './parked.js'
import type { WwHost } from './ww-host.js'

const NO_CAP = -1
const LIMITS_BYTES = 24
/** ww_spawn_opts.flags: the child outlives its parent (else it ends when the parent ends). */
export const SPAWN_DETACHED = 1
const KNOWN_SPAWN_FLAGS = SPAWN_DETACHED
/** ww_endpoint_send's pick: WW_PICK_ROUND_ROBIN 0, WW_PICK_RANDOM 1. */
const ENDPOINT_PICKS: readonly EndpointPick[] = ['round-robin', 'random']
/** Recver kinds a guest may receive from. */
const RECEIVABLE = ['chan', 'recver'] as const

/** '\n'-separated `k=v` pairs (empty lines skipped). */
function pairList (text: string): string[] {
  return text.split('\n').filter(p => p !== '')
}

/** A reply slot on a channel of 1 of the world's (a world with no cheaper one). */
function replyOn (reply: ChanCap): ReplySlot {
  return {
    sender: { kind: 'sender', send: reply.send, trySend: reply.trySend, origin: reply.origin?.sender },
    tryRecv: () => reply.tryRecv?.(),
    recv: opts => reply.recv(opts),
    end: () => { reply.close(); reply.ref?.release() }
  }
}

/** Runs `fn` with a signal that also fires after `timeoutMs` (< 0: never); Timeout when that is why it failed. */
async function within<T> (host: WwHost, timeoutMs: number, what: string, fn: (opts: OpOptions) => Promise<T>): Promise<T> {
  if (timeoutMs < 0) return await fn(host.opts)
  const timer = new AbortController()
  const t = setTimeout(() => { timer.abort() }, timeoutMs)
  try {
    return await fn({ signal: AbortSignal.any([host.opts.signal, timer.signal]) })
  } catch (err) {
    if (timer.signal.aborted && !host.opts.signal.aborted) throw new Timeout(`${what}: nothing within ${timeoutMs} ms`)
    throw err
  } finally { clearTimeout(t) }
}

export function clusterCalls (host: WwHost): Record<string, (...a: any[]) => unknown> {
  const { memory: mem, world } = host.ctx
  const need = <F>(f: F | undefined, what: string): F => {
    if (f === undefined) throw new Unimplemented(`${what} needs the cluster`)
    return f
  }
  const text = (p: number, n: number): string => new TextDecoder().decode(host.buf(p, n))
  /** Writes a received message as ww_recv does; returns its full length. */
  const deliver = (buf: number, cap: number, capOut: number) => (msg: Message): number => {
    mem.writeTruncated(buf, cap, msg.data)
    if (capOut !== 0) mem.setI32(capOut, msg.cap !== undefined ? host.handles.add(msg.cap) : NO_CAP)
    else msg.cap?.ref?.release()
    return msg.data.length
  }
  /**
   * Sends `bytes` to `to` with a fresh reply sender and takes the answer. A guest here that the request woke runs
   * first, in this call (parked.ts): when it answers at once, the requester never suspends.
   */
  const requestWithReply = (to: Exclude<Cap, { kind: 'anchor' | 'proc' | 'recver' }>, bytes: Uint8Array, left: () => number, done: (m: Message) => number): number | Promise<number> => {
    const reply = world.reply?.() ?? replyOn(world.chan(1))
    let later: Promise<number> | undefined
    try {
      const msg: Message = { data: bytes, cap: reply.sender }
      const sent = to.trySend?.(msg) === true
      if (sent) {
        const now = reply.tryRecv() ?? (runReadyGuest() ? reply.tryRecv() : undefined)
        if (now !== undefined) return done(now)
      }
      later = (async () => {
        try {
          if (!sent) await within(host, left(), 'request: send', async opts => { await to.send(msg, opts) })
          return done(reply.tryRecv() ?? await within(host, left(), 'request: reply', async opts => await reply.recv(opts)))
        } finally { reply.end() }
      })()
      return later
    } finally {
      if (later === undefined) reply.end()
    }
  }
  const checkOut = (buf: number, cap: number, capOut: number): void => {
    mem.check(buf, cap)
    if (capOut !== 0) mem.check(capOut, 4)
  }
  /** A message there now for handle `h`: one a select set aside, or one the channel holds. */
  const readyNow = (h: number, c: RecverCap | Extract<Cap, { kind: 'chan' }>): Message | undefined => host.takeEarly(h) ?? c.tryRecv?.()

  return {
    peer_id: (buf: number, cap: number) => host.call(() => {
      const id = utf8(need(world.peerId, 'ww_peer_id')())
      mem.writeTruncated(buf, cap, id)
      return id.length
    }),
    pid: () => host.call(() => host.ctx.pid),
    module_hash: (buf: number, cap: number) => host.call(() => {
      mem.writeTruncated(buf, cap, host.ctx.selfHash)
      return host.ctx.selfHash.length
    }),
    nodes_count: () => host.call(() => need(world.hosts, 'ww_nodes_count')([]).length),
    nodes: (wp: number, wl: number, buf: number, cap: number) => host.call(() => {
      const where = pairList(text(wp, wl))
      mem.check(buf, cap)
      const list = utf8(need(world.hosts, 'ww_nodes')(where).map(h => h.peer).join('\n'))
      mem.writeTruncated(buf, cap, list)
      return list.length
    }),
    node_meta: (pp: number, pl: number, buf: number, cap: number) => host.call(() => {
      const peer = text(pp, pl)
      mem.check(buf, cap)
      const entry = need(world.hosts, 'ww_node_meta')([]).find(h => h.peer === peer)
      if (entry === undefined) throw new NotFound(`no live host ${JSON.stringify(peer)}`)
      const meta = utf8(entry.meta.join('\n'))
      mem.writeTruncated(buf, cap, meta)
      return meta.length
    }),

    recv_timeout: (h: number, buf: number, cap: number, capOut: number, timeoutMs: number) => host.call(() => {
      const c = host.cap(h, ...RECEIVABLE)
      checkOut(buf, cap, capOut)
      const now = readyNow(h, c)
      if (now !== undefined) return deliver(buf, cap, capOut)(now)
      if (timeoutMs === 0) throw new Timeout('recv: no message there now')
      return within(host, timeoutMs, 'recv', async opts => await c.recv(opts)).then(deliver(buf, cap, capOut))
    }),

    select: (hp: number, n: number, timeoutMs: number, whichOut: number, buf: number, cap: number, capOut: number) => host.call(() => {
      if (n <= 0) throw new InvalidArgument(`select needs at least one handle, got ${n}`)
      if (n > host.ctx.limits.maxSelectHandles) throw new LimitExceeded(`select over ${n} handles; the limit is ${host.ctx.limits.maxSelectHandles} (maxSelectHandles)`)
      const view = mem.view(hp, n * 4)
      const hs = Array.from({ length: n }, (_, i) => view.getInt32(i * 4, true))
      const caps = hs.map(h => host.cap(h, ...RECEIVABLE))
      mem.check(whichOut, 4)
      checkOut(buf, cap, capOut)
      mem.setI32(whichOut, -1)
      for (let i = 0; i < n; i++) {
        const m = readyNow(hs[i], caps[i])
        if (m !== undefined) { mem.setI32(whichOut, i); return deliver(buf, cap, capOut)(m) }
      }
      if (timeoutMs === 0) throw new Timeout(`select: no message on any of ${n} channels now`)
      return new Promise<number>((resolve, reject) => {
        const ctl = new AbortController()
        const procSignal = host.opts.signal
        let done = false
        let timer: NodeJS.Timeout | undefined
        const finish = (fn: () => void): boolean => {
          if (done) return false
          done = true
          clearTimeout(timer)
          procSignal.removeEventListener('abort', onEnd)
          ctl.abort()
          fn()
          return true
        }
        const onEnd = (): void => { finish(() => { reject(new Canceled('select: the proc is ending')) }) }
        procSignal.addEventListener('abort', onEnd, { once: true })
        if (timeoutMs > 0) timer = setTimeout(() => { finish(() => { reject(new Timeout(`select: no message on any of ${n} channels within ${timeoutMs} ms`)) }) }, timeoutMs)
        caps.forEach((c, i) => {
          c.recv({ signal: ctl.signal }).then(m => {
            const won = finish(() => {
              try {
                mem.setI32(whichOut, i)
                resolve(deliver(buf, cap, capOut)(m))
              } catch (err) { reject(err) }
            })
            if (!won) { // taken after another won: the next receive on this handle gets it
              const list = host.early.get(hs[i]) ?? []
              list.push(m)
              host.early.set(hs[i], list)
            }
          }, err => {
            finish(() => {
              try { mem.setI32(whichOut, i) } catch {}
              reject(err)
            })
          })
        })
      })
    }),

    request: (h: number, data: number, len: number, buf: number, cap: number, capOut: number, timeoutMs: number) => host.call(() => {
      const to = host.cap(h, 'chan', 'sender')
      const bytes = host.buf(data, len)
      checkOut(buf, cap, capOut)
      const deadline = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs
      const left = (): number => deadline === Infinity ? -1 : Math.max(1, deadline - Date.now())
      const oneCall = to.kind === 'sender' ? to.request : undefined
      if (oneCall === undefined) return requestWithReply(to, bytes, left, deliver(buf, cap, capOut))
      const answer = timeoutMs < 0 ? oneCall(bytes, host.opts) : within(host, left(), 'request', async opts => await oneCall(bytes, opts))
      return answer.then(deliver(buf, cap, capOut), err => {
        if (!(err instanceof Unimplemented)) throw err // else the far side cannot: nothing was sent, go the long way
        return requestWithReply(to, bytes, left, deliver(buf, cap, capOut))
      })
    }),

    spawn_with: (kind: number, mp: number, ml: number, ap: number, al: number, ep: number, el: number, wp: number, wl: number,
      cp: number, nc: number, lp: number, rp: number, rl: number, flags: number) => host.call(async () => {
      const req = host.spawnRequest(kind, mp, ml, ap, al, ep, el, wp, wl)
      if ((flags & ~KNOWN_SPAWN_FLAGS) !== 0) throw new InvalidArgument(`unknown spawn flags ${flags}`)
      req.detached = (flags & SPAWN_DETACHED) !== 0
      if (nc < 0) throw new InvalidArgument(`negative capability count ${nc}`)
      if (nc > host.ctx.limits.maxSpawnCaps) throw new LimitExceeded(`spawn with ${nc} capabilities; the limit is ${host.ctx.limits.maxSpawnCaps} (maxSpawnCaps)`)
      if (nc > 0) {
        const view = mem.view(cp, nc * 4)
        req.caps = Array.from({ length: nc }, (_, i) => {
          const c = host.handles.get(view.getInt32(i * 4, true))
          if (c.kind === 'anchor') throw new InvalidArgument('an anchor handle cannot be handed to a child; give it a root path instead')
          return c
        })
      }
      if (lp !== 0) {
        const v = mem.view(lp, LIMITS_BYTES)
        const num = (off: number): number => Number(v.getBigUint64(off, true))
        const limits: Partial<ProcLimits> = { memoryBytes: num(0), fuel: num(8), timeoutMs: num(16) }
        req.limits = limits
      }
      if (rl > 0) req.root = host.path(rp, rl)
      return host.handles.add(await world.spawn(req, host.opts))
    }),
    arg_caps: () => host.call(() => host.argHandles.length),
    arg_cap: (i: number) => host.call(() => {
      if (i < 0 || i >= host.argHandles.length) throw new NotFound(`no capability argument ${i}: the spawner handed ${host.argHandles.length}`)
      return host.argHandles[i]
    }),

    publish: (tp: number, tl: number, data: number, len: number) => host.call(async () => {
      const topic = text(tp, tl)
      if (topic === '') throw new InvalidArgument('publish needs a topic name')
      await need(world.publish, 'ww_publish')(topic, host.buf(data, len), host.opts)
      return 0
    }),
    endpoint_publish: (np: number, nl: number, h: number) => host.call(async () => {
      const c = host.cap(h, 'chan', 'sender')
      await need(world.endpoints, 'ww_endpoint_publish').publish(text(np, nl), c)
      return 0
    }),
    endpoint_unpublish: (np: number, nl: number) => host.call(() => {
      const name = text(np, nl)
      if (!need(world.endpoints, 'ww_endpoint_unpublish').unpublish(name)) throw new NotFound(`this proc publishes no endpoint named ${name}`)
      return 0
    }),
    endpoint_count: (np: number, nl: number) => host.call(async () => await need(world.endpoints, 'ww_endpoint_count').count(text(np, nl), host.opts)),
    endpoint_send: (np: number, nl: number, data: number, len: number, capH: number, pick: number) => host.call(async () => {
      const rule = ENDPOINT_PICKS[pick]
      if (rule === undefined) throw new InvalidArgument(`unknown endpoint pick ${pick}: 0 round-robin, 1 random`)
      const msg: Message = { data: host.buf(data, len) }
      if (capH !== NO_CAP) msg.cap = host.handles.get(capH)
      await need(world.endpoints, 'ww_endpoint_send').send(text(np, nl), msg, rule, host.opts)
      return 0
    }),
    subscribe: (tp: number, tl: number, buffer: number) => host.call(() => {
      const topic = text(tp, tl)
      if (topic === '') throw new InvalidArgument('subscribe needs a topic name')
      return host.handles.add(need(world.subscribe, 'ww_subscribe')(topic, buffer))
    })
  }
}
