// A facet of a channel served on this host, held by guests on this host, used on its Chan directly.
//
// Guest to guest on one host, a message's capability (a reply sender, say) is one of these: the sending guest's
// handle and the receiving guest's handle share one `FacetRefs`, which holds one RPC reference to the facet for
// all of them and counts the rest, so a message costs a count up and down, not an RPC reference (a Capability,
// a finalizer registration, a hook's refcount) made and released. The guest's Cap for it, `LocalFacetCap`, is one
// small object with its methods on the prototype, its own handle count (it is its CapRef) and its own way out
// (it is its CapOrigin). An RPC reference is made only when the facet leaves through RPC (`capability()`).

import type { Chan, OpOptions } from '../csp/index.js'
import type { ChanMessage } from '../caps/chan-message.js'
import { FacetRefs } from '../caps/facet-refs.js'
import { Unimplemented } from '../errors.js'
import type { CapOrigin, CapRef, Message, RecvSink } from '../proc/index.js'
import type { Capability } from '../rpc/index.js'

/** What a local facet needs of its holder's scope: messages converted for it. */
export interface FacetScope {
  sendOn: (chan: Chan<ChanMessage>, msg: Message, opts?: OpOptions) => Promise<void>
  trySendOn: (chan: Chan<ChanMessage>, msg: Message) => boolean
  recvOn: (chan: Chan<ChanMessage>, opts?: OpOptions) => Promise<Message>
  tryRecvOn: (chan: Chan<ChanMessage>) => Message | undefined
  recvThenOn: (chan: Chan<ChanMessage>, opts: OpOptions, sink: RecvSink) => void
}

/** A guest's Cap for a facet of a local channel; it takes over one reference of `refs`, given back with its last handle. */
export class LocalFacetCap implements CapRef, CapOrigin {
  private count = 1

  /** `kind` is what the guest sees (a message's capability is a 'chan'). */
  constructor (readonly kind: 'chan' | 'sender' | 'recver', readonly refs: FacetRefs, private readonly scope: FacetScope) {}

  get ref (): CapRef { return this }
  get origin (): CapOrigin { return this }
  get sender (): CapOrigin { return this }
  get recver (): CapOrigin { return this }

  retain (): void {
    if (this.count > 0) this.count++
  }

  release (): void {
    if (this.count === 0 || --this.count > 0) return
    this.refs.release()
  }

  async export (): Promise<unknown> { return this.refs.capability() }
  exportNow (): unknown { return this.refs.capability() }

  send (msg: Message, opts?: OpOptions): Promise<void> {
    if (this.refs.facet === 'recver') return Promise.reject(new Unimplemented('this capability cannot send'))
    return this.scope.sendOn(this.refs.chan, msg, opts)
  }

  trySend (msg: Message): boolean {
    return this.refs.facet !== 'recver' && this.scope.trySendOn(this.refs.chan, msg)
  }

  recv (opts?: OpOptions): Promise<Message> {
    if (this.refs.facet === 'sender') return Promise.reject(new Unimplemented('this capability cannot recv'))
    return this.scope.recvOn(this.refs.chan, opts)
  }

  tryRecv (): Message | undefined {
    return this.refs.facet === 'sender' ? undefined : this.scope.tryRecvOn(this.refs.chan)
  }

  recvThen (opts: OpOptions, sink: RecvSink): void {
    if (this.refs.facet === 'sender') sink.onError(new Unimplemented('this capability cannot recv'))
    else this.scope.recvThenOn(this.refs.chan, opts, sink)
  }

  close (): void {
    if (this.refs.facet === 'chan') this.refs.chan.close()
  }
}

/** The origin of a facet of a guest's own channel, once its RPC reference is there: it may ride in messages as `refs`. */
export class OwnFacetOrigin implements CapOrigin {
  refs: FacetRefs | undefined

  constructor (private readonly facet: () => Promise<Capability>) {}

  async export (): Promise<unknown> { return this.refs?.live === true ? this.refs.capability() : await this.facet() }
  exportNow (): unknown { return this.refs?.live === true ? this.refs.capability() : undefined }
}

/** A new local reference for a guest capability riding in a message, when it is a facet of a channel on this host. */
export function localRefOf (origin: CapOrigin | undefined): FacetRefs | undefined {
  const refs = (origin as { refs?: unknown } | undefined)?.refs
  return refs instanceof FacetRefs && refs.live ? refs.retain() : undefined
}
