// A facet of a channel served on this host, held by a guest on this host: the guest's Cap for it sends and receives
// on the Chan directly. It is made for every message whose capability is such a facet (a reply sender, say), so it
// is one small object with its methods on the prototype, its own reference count (it is its CapRef) and its own way
// out (it is its CapOrigin): no closures, no Lease, no spread origins per message.

import type { Chan, OpOptions } from '../csp/index.js'
import type { ChanFacet } from '../caps/chan.js'
import type { ChanMessage } from '../caps/chan-message.js'
import { Unimplemented } from '../errors.js'
import type { CapOrigin, CapRef, Message } from '../proc/index.js'
import type { Capability } from '../rpc/index.js'

/** What a local facet needs of its holder's scope: messages converted for it, its reference given back. */
export interface FacetScope {
  sendOn: (chan: Chan<ChanMessage>, msg: Message, opts?: OpOptions) => Promise<void>
  trySendOn: (chan: Chan<ChanMessage>, msg: Message) => boolean
  recvOn: (chan: Chan<ChanMessage>, opts?: OpOptions) => Promise<Message>
  tryRecvOn: (chan: Chan<ChanMessage>) => Message | undefined
  /** Releases `cap` now, if the scope holds it. */
  drop: (cap: Capability) => void
}

export class LocalFacetCap implements CapRef, CapOrigin {
  private count = 1

  /** Takes over `cap` (held by `scope`): `kind` is what the guest sees (a message's capability is a 'chan'). */
  constructor (readonly kind: 'chan' | 'sender' | 'recver', private readonly chan: Chan<ChanMessage>, private readonly facet: ChanFacet,
    private readonly cap: Capability, private readonly scope: FacetScope) {}

  get ref (): CapRef { return this }
  get origin (): CapOrigin { return this }
  get sender (): CapOrigin { return this }
  get recver (): CapOrigin { return this }

  retain (): void {
    if (this.count > 0) this.count++
  }

  release (): void {
    if (this.count === 0 || --this.count > 0) return
    this.scope.drop(this.cap)
  }

  async export (): Promise<unknown> { return this.cap.dup() }
  exportNow (): unknown { return this.cap.dup() }

  send (msg: Message, opts?: OpOptions): Promise<void> {
    if (this.facet === 'recver') return Promise.reject(new Unimplemented('this capability cannot send'))
    return this.scope.sendOn(this.chan, msg, opts)
  }

  trySend (msg: Message): boolean {
    return this.facet !== 'recver' && this.scope.trySendOn(this.chan, msg)
  }

  recv (opts?: OpOptions): Promise<Message> {
    if (this.facet === 'sender') return Promise.reject(new Unimplemented('this capability cannot recv'))
    return this.scope.recvOn(this.chan, opts)
  }

  tryRecv (): Message | undefined {
    return this.facet === 'sender' ? undefined : this.scope.tryRecvOn(this.chan)
  }

  close (): void {
    if (this.facet === 'chan') this.chan.close()
  }
}
