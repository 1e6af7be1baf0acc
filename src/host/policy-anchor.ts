// The anchors a remote peer that lacks some rights is served: caps/anchor-restricted.ts with this host's policy.
import type { AnchorClient } from '../schema/anchor.rpc.js'
import { restrictedAnchor } from '../caps/anchor-restricted.js'
import { lacks, type Rights } from './policy.js'

/** `anchor` as `peer` may use it with `rights` (takes over `anchor`; yours to release). */
export function restrictAnchor (anchor: AnchorClient, peer: string, rights: Rights): AnchorClient {
  return restrictedAnchor(anchor, (right, what) => {
    if (!rights.has(right)) throw lacks(peer, right, what)
  })
}
