// Capabilities a guest holds (src/proc's `Cap` shape) <-> RPC capabilities.
//
// A guest's capabilities live in one `CapScope` per proc: every RPC reference the scope takes is
// released when the proc ends (whatever the guest stored or sent holds references of its own).
// Channels a guest makes are local src/csp channels served as Chan capabilities, so a guest on
// this host sends and receives without RPC, and a facet exported to another host is a real
// Sender/Recver. A capability received with no kind (a message's `cap`) is wrapped as a channel:
// send/recv/close go to the Sender/Recver/Closer methods and fail with Unimplemented if absent.

import { Chan, type OpOptions } from '../csp/index.js'
import { serveChanOf } from '../csp/server.js'
import { readMessage, releaseMessage, writeMessage, type ChanMessage } from '../csp/wire.js'
import { InvalidArgument } from '../errors.js'
import { trySendNow } from '../proc/send-now.js'
import type { Cap, ChanCap, Message, ProcCap, RecverCap, SenderCap } from '../proc/index.js'
import type { Capability } from '../rpc/index.js'
import { Chan_Recver$Results$Caps, Chan_Sender$Results$Caps, CloserClient, RecverClient, SenderClient } from '../schema/channel.rpc.js'
import { ProcClient } from '../schema/proc.rpc.js'
import { readExitStatus } from './exit-status.js'

/** How a guest capability leaves the proc: a fresh reference (the caller's to release). */
type Exporter = () => Promise<Capability>

/** Exporters by the capability object, and by its send/recv functions (ww_sender/ww_recver copy those). */
const exporters = new WeakMap<object, Exporter>()
/** The exporter of a local channel facet, when it can run without waiting. */
const readyExports = new WeakMap<object, () => Capability | undefined>()

export class CapScope {
  private readonly held = new Set<Capability>()
  private closed = false

  /** Takes over `cap` until the scope closes. */
  hold<T extends Capability> (cap: T): T {
    if (this.closed) { cap.release(); return cap }
    this.held.add(cap)
    return cap
  }

  /** Releases every reference the scope holds. */
  close (): void {
    this.closed = true
    for (const c of this.held) c.release()
    this.held.clear()
  }

  /** A new channel on this host, as the guest's ChanCap (exportable as a Chan capability). */
  chan (capacity: number): ChanCap {
    const chan = new Chan<ChanMessage>(capacity, { release: releaseMessage })
    const client = this.hold(serveChanOf(chan))
    const facets: { sender?: Capability, recver?: Capability } = {}
    const facet = async (which: 'sender' | 'recver'): Promise<Capability> => {
      if (facets[which] === undefined) {
        let cap: Capability
        if (which === 'sender') {
          using ans = client.sender()
          cap = Chan_Sender$Results$Caps.sender.get(await ans).dup()
        } else {
          using ans = client.recver()
          cap = Chan_Recver$Results$Caps.recver.get(await ans).dup()
        }
        if (facets[which] === undefined) facets[which] = this.hold(cap)
        else cap.release()
      }
      return facets[which].dup()
    }
    const send = async (msg: Message, opts?: OpOptions): Promise<void> => {
      const out = { data: msg.data, cap: msg.cap === undefined ? null : await exportCap(msg.cap) }
      try {
        await chan.send(out, opts)
      } catch (err) { releaseMessage(out); throw err }
    }
    const trySend = (msg: Message): boolean => {
      let cap: Capability | null = null
      if (msg.cap !== undefined) {
        cap = exportNow(msg.cap) ?? null
        if (cap === null) return false
      }
      const out = { data: msg.data, cap }
      if (trySendNow(chan, out)) return true
      releaseMessage(out)
      return false
    }
    const recv = async (opts?: OpOptions): Promise<Message> => {
      const m = await chan.recv(opts)
      return this.message(m)
    }
    const close = (): void => { chan.close() }
    const cap: ChanCap = { kind: 'chan', send, trySend, recv, close }
    exporters.set(cap, async () => client.dup())
    exporters.set(send, async () => await facet('sender'))
    exporters.set(recv, async () => await facet('recver'))
    readyExports.set(cap, () => client.dup())
    readyExports.set(send, () => facets.sender?.dup())
    readyExports.set(recv, () => facets.recver?.dup())
    void facet('sender').then(c => { c.release() }, () => {})
    return cap
  }

  /** A received channel message as the guest sees it (the scope takes over its capability). */
  message (m: ChanMessage): Message {
    const msg: Message = { data: m.data }
    if (m.cap !== null) msg.cap = this.wrap('cap', this.hold(m.cap))
    return msg
  }

  /** Wraps an RPC capability (held by this scope) in the guest's Cap shape for its kind. */
  wrap (kind: string, cap: Capability): Cap {
    let out: Cap
    switch (kind) {
      case 'sender': out = this.sender(SenderClient.from(cap.dup())); break
      case 'recver': out = this.recver(RecverClient.from(cap.dup())); break
      case 'proc': out = this.proc(ProcClient.from(cap.dup())); break
      default: out = this.chanOf(cap)
    }
    exporters.set(out, async () => cap.dup())
    readyExports.set(out, () => cap.dup())
    return out
  }

  private sender (s: SenderClient): SenderCap {
    this.hold(s)
    const send = async (msg: Message, opts?: OpOptions): Promise<void> => {
      const cap = msg.cap === undefined ? null : await exportCap(msg.cap)
      try {
        await withSignal(opts, async signal => {
          using ans = s.send(p => { writeMessage(p._initMsg(), { data: msg.data, cap }) }, { signal })
          await ans
        })
      } finally { cap?.release() }
    }
    exporters.set(send, async () => s.dup())
    return { kind: 'sender', send }
  }

  private recver (r: RecverClient): RecverCap {
    this.hold(r)
    const recv = async (opts?: OpOptions): Promise<Message> => {
      return await withSignal(opts, async signal => {
        using ans = r.recv(undefined, { signal })
        return this.message(readMessage((await ans).msg))
      })
    }
    exporters.set(recv, async () => r.dup())
    return { kind: 'recver', recv }
  }

  private chanOf (cap: Capability): ChanCap {
    const s = this.sender(SenderClient.from(cap.dup()))
    const r = this.recver(RecverClient.from(cap.dup()))
    const closer = this.hold(CloserClient.from(cap.dup()))
    return {
      kind: 'chan',
      send: s.send,
      recv: r.recv,
      close: () => { closer.close().then(a => { void a }, () => {}) }
    }
  }

  /** A Proc capability (held by this scope) as the guest's ProcCap. */
  proc (p: ProcClient): ProcCap {
    this.hold(p)
    const cap: ProcCap = {
      kind: 'proc',
      wait: async (opts) => {
        return await withSignal(opts, async signal => {
          using ans = p.wait(undefined, { signal })
          return readExitStatus((await ans).status)
        })
      },
      kill: () => { p.kill().then(() => {}, () => {}) },
      stdout: () => {
        const ans = p.stdout()
        const r = this.hold(RecverClient.from(ans.pipeline.recver.dup()))
        const done = (): void => { ans.release() }
        ans.then(done, done)
        return this.recver(r.dup())
      }
    }
    exporters.set(cap, async () => p.dup())
    readyExports.set(cap, () => p.dup())
    return cap
  }

  /** Makes `cap` exportable as `client` (e.g. a local proc served as a Proc capability). */
  static exportAs (cap: Cap, client: () => Capability): void {
    exporters.set(cap, async () => client())
    readyExports.set(cap, client)
  }
}

/** A fresh RPC reference for a guest capability (yours to release). */
export async function exportCap (cap: Cap): Promise<Capability> {
  const fn = exporters.get(cap) ?? exporters.get(facetFn(cap))
  if (fn === undefined) throw new InvalidArgument(`a ${cap.kind} handle cannot leave this host`)
  return await fn()
}

/** The same, when it needs no waiting; undefined otherwise. */
function exportNow (cap: Cap): Capability | undefined {
  return (readyExports.get(cap) ?? readyExports.get(facetFn(cap)))?.()
}

function facetFn (cap: Cap): object {
  if (cap.kind === 'sender') return cap.send
  if (cap.kind === 'recver') return cap.recv
  return cap
}

/**
 * Runs one RPC call under a signal of its own that follows the proc's: the proc's signal lives as
 * long as the proc, so listeners must not pile up on it call after call.
 */
export async function withSignal<T> (opts: OpOptions | undefined, fn: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  const parent = opts?.signal
  if (parent === undefined) return await fn(undefined)
  const ctl = new AbortController()
  const onAbort = (): void => { ctl.abort(parent.reason) }
  if (parent.aborted) onAbort()
  else parent.addEventListener('abort', onAbort, { once: true })
  try {
    return await fn(ctl.signal)
  } finally { parent.removeEventListener('abort', onAbort) }
}
