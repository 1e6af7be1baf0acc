// Capabilities a guest holds (src/proc's `Cap` shape) <-> RPC capabilities.
//
// A guest's capabilities live in one `CapScope` per proc. The RPC references behind one guest
// capability (and its facets: ww_sender/ww_recver of a channel) form a `Lease`, the Cap's CapRef:
// the guest's handles count on it and its last handle going releases them, so a long-running
// guest holds only what it still has handles to. Whatever is left goes when the proc ends (the
// scope closes). What the guest stored or sent holds references of its own.
// Channels a guest makes are local src/csp channels served as Chan capabilities, so a guest on
// this host sends and receives without RPC, and a facet exported to another host is a real
// Sender/Recver. A capability received with no kind (a message's `cap`) is wrapped as a channel:
// send/recv/close go to the Sender/Recver/Closer methods and fail with Unimplemented if absent.
// A facet of a channel served on this host that comes back here (loaded from an anchor, or riding
// in a message) is used directly on its Chan: same semantics, no RPC per message. The way back is
// carried by the capabilities themselves: a guest Cap's `origin` says how it leaves the proc, and a
// channel's server objects carry the channel (caps/chan.ts localChanOf).
// Such a facet is a `LocalFacetCap`, and a message from one guest here to another carries it as a counted
// local reference (local-facet.ts `FacetRefs`), not as an RPC reference made and released per message; it
// becomes one only if the message leaves through RPC. Its handles, not the scope, give it back: a proc's
// handle table lets go of everything when the proc ends, and refuses what reaches it later.

import { Chan, DEFAULT_CHAN_LIMITS, type OpOptions } from '../csp/index.js'
import { localChanOf, replyChannel, serveChanOf } from '../caps/chan.js'
import { messageBytes, readMessage, releaseMessage, writeMessage, writeMessageField, type ChanMessage } from '../caps/chan-message.js'
import { InvalidArgument } from '../errors.js'
import { FacetRefs } from '../caps/facet-refs.js'
import { LocalFacetCap, OwnFacetOrigin, localRefOf } from './local-facet.js'
import { trySendNow } from '../proc/send-now.js'
import { runReadyGuest } from '../proc/parked.js'
import type { Cap, CapOrigin, CapRef, ChanCap, Message, ProcCap, RecverCap, RecvSink, ReplySlot, SenderCap } from '../proc/index.js'
import type { Capability } from '../rpc/index.js'
import { Chan_Recver$Results$Caps, Chan_Sender$Results$Caps, CloserClient, RecverClient, RequestSenderClient, SenderClient } from '../schema/channel.rpc.js'
import { ProcClient } from '../schema/proc.rpc.js'
import { readExitStatus } from '../caps/proc-status.js'

/** The origin of a capability that leaves as a new reference to `cap` (at once, unless `wait`). */
function originOf (cap: Capability, wait = false): CapOrigin {
  return wait ? { export: async () => cap.dup() } : { export: async () => cap.dup(), exportNow: () => cap.dup() }
}

/** The RPC references behind one guest capability and its facets; one reference is the receiver's. */
class Lease implements CapRef {
  private count = 1
  private readonly caps: Capability[] = []
  private readonly owned: FacetRefs[] = []

  constructor (private readonly scope: CapScope) {}

  /** Takes over `cap` until the last reference goes (or the scope closes). */
  hold<T extends Capability> (cap: T): T {
    if (this.count === 0) { cap.release(); return cap }
    this.caps.push(this.scope.hold(cap))
    return cap
  }

  /** Gives the creator's reference of `refs` back with the last reference (or when the scope closes). */
  own (refs: FacetRefs): void {
    if (this.count === 0) { refs.release(); return }
    this.owned.push(this.scope.own(refs))
  }

  retain (): void {
    if (this.count > 0) this.count++
  }

  release (): void {
    if (this.count === 0 || --this.count > 0) return
    for (const c of this.caps.splice(0)) this.scope.drop(c)
    for (const r of this.owned.splice(0)) this.scope.disown(r)
  }
}

export class CapScope {
  private readonly held = new Set<Capability>()
  /** The creator's references of the facets of channels made here (other guests' may outlive the scope). */
  private readonly owned = new Set<FacetRefs>()
  private closed = false

  /** RPC references held now (a facet of a channel made here holds one, as long as its creator's reference). */
  get size (): number { return this.held.size + this.owned.size }

  /** Takes over `cap` until the scope closes. */
  hold<T extends Capability> (cap: T): T {
    if (this.closed) { cap.release(); return cap }
    this.held.add(cap)
    return cap
  }

  /** Releases `cap` now, if the scope holds it. */
  drop (cap: Capability): void {
    if (this.held.delete(cap)) cap.release()
  }

  /** Gives the creator's reference of `refs` back when the scope closes, unless disowned first. */
  own (refs: FacetRefs): FacetRefs {
    if (this.closed) refs.release()
    else this.owned.add(refs)
    return refs
  }

  /** Gives the creator's reference of `refs` back now, if the scope still has it. */
  disown (refs: FacetRefs): void {
    if (this.owned.delete(refs)) refs.release()
  }

  /** Releases every reference the scope holds. */
  close (): void {
    this.closed = true
    for (const c of this.held) c.release()
    this.held.clear()
    for (const r of this.owned) r.release()
    this.owned.clear()
  }

  /** A new channel on this host, as the guest's ChanCap (exportable as a Chan capability). */
  chan (capacity: number): ChanCap {
    const lease = new Lease(this)
    const chan = new Chan<ChanMessage>(capacity, { release: releaseMessage, sizeOf: messageBytes })
    const client = lease.hold(serveChanOf(chan, {}, true, runReadyGuest))
    const facet = async (which: 'sender' | 'recver'): Promise<Capability> => {
      const o = origins[which]
      if (o.refs === undefined) {
        let cap: Capability
        if (which === 'sender') {
          using ans = client.sender()
          cap = Chan_Sender$Results$Caps.sender.get(await ans).dup()
        } else {
          using ans = client.recver()
          cap = Chan_Recver$Results$Caps.recver.get(await ans).dup()
        }
        if (o.refs === undefined) {
          o.refs = new FacetRefs(chan, which, cap)
          lease.own(o.refs)
        } else cap.release()
      }
      return o.refs.capability()
    }
    const origins = { sender: new OwnFacetOrigin(async () => await facet('sender')), recver: new OwnFacetOrigin(async () => await facet('recver')) }
    const { send, trySend, recv, tryRecv, recvThen } = this.direct(chan)
    const close = (): void => { chan.close() }
    const origin: CapOrigin = { ...originOf(client), sender: origins.sender, recver: origins.recver }
    const cap: ChanCap = { kind: 'chan', send, trySend, recv, tryRecv, recvThen, close, ref: lease, origin }
    void facet('sender').then(c => { c.release() }, () => {})
    return cap
  }

  /**
   * A request's reply channel: a channel of 1 whose only facet is its Sender, riding guest to guest here as a local
   * reference; it is served (with no RPC call to make it) only if it leaves through RPC.
   */
  reply (): ReplySlot {
    const { chan, refs } = replyChannel(DEFAULT_CHAN_LIMITS.maxMessageBytes)
    const sender = new LocalFacetCap('sender', refs, this)
    return {
      sender: sender as unknown as SenderCap,
      tryRecv: () => this.tryRecvOn(chan),
      recv: opts => this.recvOn(chan, opts),
      end: () => { chan.close(); sender.release() }
    }
  }

  /** send/trySend/recv/tryRecv straight on a channel of this host (messages converted for this scope). */
  private direct (chan: Chan<ChanMessage>): Pick<ChanCap, 'send' | 'trySend' | 'recv' | 'tryRecv' | 'recvThen'> {
    return {
      send: (msg, opts) => this.sendOn(chan, msg, opts),
      trySend: msg => this.trySendOn(chan, msg),
      recv: opts => this.recvOn(chan, opts),
      tryRecv: () => this.tryRecvOn(chan),
      recvThen: (opts, sink) => { this.recvThenOn(chan, opts, sink) }
    }
  }

  async sendOn (chan: Chan<ChanMessage>, msg: Message, opts?: OpOptions): Promise<void> {
    const out = outgoing(msg) ?? new GuestMessage(msg.data, await exportCap(msg.cap!), undefined)
    try {
      await chan.send(out, opts)
    } catch (err) { releaseMessage(out); throw err }
  }

  trySendOn (chan: Chan<ChanMessage>, msg: Message): boolean {
    const out = outgoing(msg)
    if (out === undefined) return false
    if (trySendNow(chan, out)) return true
    releaseMessage(out)
    return false
  }

  recvOn (chan: Chan<ChanMessage>, opts?: OpOptions): Promise<Message> {
    return chan.recv(opts).then(this.toMessage)
  }

  tryRecvOn (chan: Chan<ChanMessage>): Message | undefined {
    const m = chan.poll()
    return m === undefined ? undefined : this.message(m)
  }

  private readonly toMessage = (m: ChanMessage): Message => this.message(m)

  /** recv told to `sink` in the step of the hand-off (Chan.recvThen), the message converted for this scope. */
  recvThenOn (chan: Chan<ChanMessage>, opts: OpOptions, sink: RecvSink): void {
    let a = this.sinkAdapter
    if (a?.sink !== sink) a = this.sinkAdapter = { sink, onMsg: m => { sink.onMessage(this.message(m)) } } // one per proc's sink
    chan.recvThen(opts, a.onMsg, sink.onError)
  }

  private sinkAdapter: { sink: RecvSink, onMsg: (m: ChanMessage) => void } | undefined

  /** A received channel message as the guest sees it (its capability, if any, is taken over). */
  message (m: ChanMessage): Message {
    const msg: Message = { data: m.data }
    const local = m.local
    if (local !== undefined) {
      m.local = undefined
      if (this.closed) local.release()
      else if (local instanceof FacetRefs) msg.cap = new LocalFacetCap('chan', local, this) as unknown as Cap
      else {
        const cap = local.capability()
        local.release()
        msg.cap = this.wrap('cap', cap)
      }
    } else if (m.cap !== null) msg.cap = this.wrap('cap', m.cap)
    return msg
  }

  /** Takes over an RPC capability as the guest's Cap for its kind (with one reference for the receiver). */
  wrap (kind: string, cap: Capability): Cap {
    const local = kind !== 'proc' && !this.closed ? localChanOf(cap) : undefined
    if (local !== undefined) {
      // a facet of a channel on this host, as `kind` (what the anchor said, or 'cap'): used directly
      const as = kind === 'sender' || kind === 'recver' ? kind : 'chan'
      return new LocalFacetCap(as, new FacetRefs(local.chan, local.facet, cap), this) as unknown as Cap
    }
    const lease = new Lease(this)
    lease.hold(cap)
    let out: Exclude<Cap, { kind: 'anchor' }>
    switch (kind) {
      case 'sender': out = this.sender(SenderClient.from(cap.dup()), lease); break
      case 'recver': out = this.recver(RecverClient.from(cap.dup()), lease); break
      case 'proc': out = this.proc(ProcClient.from(cap.dup()), lease); break
      default: out = this.chanOf(cap, lease)
    }
    out.ref = lease
    out.origin = { ...originOf(cap), sender: out.origin?.sender, recver: out.origin?.recver }
    return out
  }

  private sender (s: SenderClient, lease: Lease): SenderCap {
    lease.hold(s)
    const call = async (data: Uint8Array, cap: Capability | null, opts?: OpOptions): Promise<void> => {
      try {
        using ans = s.send(p => { writeMessage(p._initMsg(), { data, cap }) }, { signal: opts?.signal })
        await ans
      } finally { cap?.release() }
    }
    // the call goes out before the guest suspends (no await before it unless the cap must wait)
    const send = async (msg: Message, opts?: OpOptions): Promise<void> => {
      if (msg.cap === undefined) return await call(msg.data, null, opts)
      await call(msg.data, exportNow(msg.cap) ?? await exportCap(msg.cap), opts)
    }
    // request/reply in one call, when the far side serves RequestSender (a channel's Sender facet on a ww host)
    let requests: RequestSenderClient | undefined
    const request = (data: Uint8Array, opts?: OpOptions): Promise<Message> => {
      requests ??= lease.hold(RequestSenderClient.from(s.dup()))
      const ans = requests.request(p => { writeMessageField(p, 0, { data }, q => q._initMsg()) }, { signal: opts?.signal })
      // straight on the answer (no await of a thenable): the requester resumes in the step the Return is read
      return ans.then(r => {
        try { return this.message(readMessage(r.reply)) } finally { ans.release() }
      }, (err: unknown) => { ans.release(); throw err })
    }
    return { kind: 'sender', send, request, origin: originOf(s, true) }
  }

  private recver (r: RecverClient, lease: Lease): RecverCap {
    lease.hold(r)
    const recv = async (opts?: OpOptions): Promise<Message> => {
      using ans = r.recv(undefined, { signal: opts?.signal })
      return this.message(readMessage((await ans).msg))
    }
    return { kind: 'recver', recv, origin: originOf(r, true) }
  }

  /** A capability of unknown kind as a channel; the typed views are made on first use. */
  private chanOf (cap: Capability, lease: Lease): ChanCap {
    let s: SenderCap | undefined
    let r: RecverCap | undefined
    const send = async (msg: Message, opts?: OpOptions): Promise<void> => {
      s ??= this.sender(SenderClient.from(cap.dup()), lease)
      await s.send(msg, opts)
    }
    const recv = async (opts?: OpOptions): Promise<Message> => {
      r ??= this.recver(RecverClient.from(cap.dup()), lease)
      return await r.recv(opts)
    }
    return {
      kind: 'chan',
      origin: { ...originOf(cap), sender: originOf(cap, true), recver: originOf(cap, true) },
      send,
      recv,
      close: () => {
        const closer = CloserClient.from(cap.dup())
        closer.close().then(a => { void a }, () => {}).finally(() => { closer.release() })
      }
    }
  }

  /** Takes over a Proc capability as the guest's ProcCap (with one reference for the receiver). */
  proc (p: ProcClient, lease = new Lease(this)): ProcCap {
    lease.hold(p)
    const cap: ProcCap = {
      kind: 'proc',
      wait: async (opts) => {
        using ans = p.wait(undefined, { signal: opts?.signal })
        return readExitStatus((await ans).status)
      },
      kill: () => { p.kill().then(() => {}, () => {}) },
      stdout: () => {
        const own = new Lease(this)
        const ans = p.stdout()
        const out = this.recver(RecverClient.from(ans.pipeline.recver.dup()), own)
        const done = (): void => { ans.release() }
        ans.then(done, done)
        out.ref = own
        return out
      },
      ref: lease,
      origin: originOf(p)
    }
    return cap
  }

  /** Makes `cap` exportable as `client` (e.g. a local proc served as a Proc capability). */
  static exportAs (cap: Exclude<Cap, { kind: 'anchor' }>, client: () => Capability): void {
    cap.origin = { export: async () => client(), exportNow: client }
  }
}

/** A fresh RPC reference for a guest capability (yours to release). */
export async function exportCap (cap: Cap): Promise<Capability> {
  const origin = cap.kind === 'anchor' ? undefined : cap.origin
  if (origin === undefined) throw new InvalidArgument(`a ${cap.kind} handle cannot leave this host`)
  return await origin.export() as Capability
}

/** A message as a guest's channel holds it. A class, for one object shape on the hot path. */
class GuestMessage implements ChanMessage {
  constructor (public data: Uint8Array, public cap: Capability | null, public local: FacetRefs | undefined) {}
}

/**
 * A guest's message as a channel of this host holds it: a facet of a channel here rides as a local reference, any
 * other capability as an RPC reference. Undefined when the capability needs waiting for (exportCap).
 */
function outgoing (msg: Message): GuestMessage | undefined {
  if (msg.cap === undefined) return new GuestMessage(msg.data, null, undefined)
  const local = msg.cap.kind === 'anchor' ? undefined : localRefOf(msg.cap.origin)
  if (local !== undefined) return new GuestMessage(msg.data, null, local)
  const cap = exportNow(msg.cap)
  return cap === undefined ? undefined : new GuestMessage(msg.data, cap, undefined)
}

/** The same, when it needs no waiting; undefined otherwise. */
function exportNow (cap: Cap): Capability | undefined {
  return (cap.kind === 'anchor' ? undefined : cap.origin?.exportNow?.()) as Capability | undefined
}
