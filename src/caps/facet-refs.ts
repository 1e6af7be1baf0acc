// Counted local references to one facet of a channel served in this process (see host/local-facet.ts for why).

import type { Chan } from '../csp/index.js'
import type { Capability } from '../rpc/index.js'
import type { ChanFacet } from './chan.js'
import type { ChanMessage, LocalRef } from './chan-message.js'

/**
 * The references guests (and messages in channels) of this host hold to one facet of a local channel. It holds
 * one RPC reference to the facet while any is held; it starts with one, its creator's, and is dead at zero.
 */
export class FacetRefs implements LocalRef {
  private count = 1
  private cap: Capability | undefined

  /**
   * Takes over `cap`, a reference to `facet` of `chan`; or, with `serve` instead, makes it only when first asked for
   * (capability()), and drops `chan` at the end if it never was (a request's reply channel).
   */
  constructor (readonly chan: Chan<ChanMessage>, readonly facet: ChanFacet, cap: Capability | undefined, private readonly serve?: () => Capability) {
    this.cap = cap
  }

  get live (): boolean { return this.count > 0 }

  /** One more reference (for a message, a handle); the caller holds one already. */
  retain (): this {
    this.count++
    return this
  }

  release (): void {
    if (this.count === 0 || --this.count > 0) return
    if (this.cap !== undefined) this.cap.release()
    else this.chan.drop()
  }

  capability (): Capability { return (this.cap ??= this.serve!()).dup() }
}
