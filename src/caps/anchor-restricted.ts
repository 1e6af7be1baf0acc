// An Anchor facet with fewer rights (for a remote peer that lacks some): it forwards what the rights allow to
// the anchor it wraps and holds nothing else. Walks and lookups return facets with the same rights, so no path
// through it reaches the full anchor; a value loaded through it is handed out only if the rights cover what it
// can do. The host's policy says which rights (src/host/policy-anchor.ts).
import type { AnchorValue } from '../anchor/index.js'
import { readValue, writeLoadResults, writeValue } from './anchor-value.js'
import type { Capability } from '../rpc/index.js'
import {
  AnchorClient, Anchor_Lookup$Results$Caps, Anchor_Walk$Results$Caps, type AnchorServer
} from '../schema/anchor.rpc.js'

/** Throws (PermissionDenied naming the right) unless the facet's holder has `right`; `what` is the refused act. */
export type NeedRight = (right: 'write' | 'exec', what: string) => void

/** `anchor` as a holder whose rights `need` checks may use it (takes over `anchor`; yours to release). */
export function restrictedAnchor (anchor: AnchorClient, need: NeedRight): AnchorClient {
  const server: AnchorServer = {
    ls (_params, _results, ctx) { ctx.tailCall(anchor.ls()) },
    path (_params, _results, ctx) { ctx.tailCall(anchor.path()) },
    async walk (params, results) {
      using ans = anchor.walk(p => { p.path = params.path })
      const child = restrictedAnchor(Anchor_Walk$Results$Caps.anchor.get(await ans).dup(), need)
      Anchor_Walk$Results$Caps.anchor.set(results, child)
      child.release()
    },
    async lookup (params, results) {
      using ans = anchor.lookup(p => { p.path = params.path })
      const child = restrictedAnchor(Anchor_Lookup$Results$Caps.anchor.get(await ans).dup(), need)
      Anchor_Lookup$Results$Caps.anchor.set(results, child)
      child.release()
    },
    async load (_params, results) {
      using ans = anchor.load()
      const got = await ans
      const value = got._hasValue() ? readValue(got.value) : undefined
      try {
        if (value?.kind === 'proc') need('exec', 'loading a proc')
        else if (value !== undefined && value.kind !== 'bytes' && value.kind !== 'anchor') need('write', `loading a ${value.kind}`)
        if (value?.kind === 'anchor') {
          const facet = restrictedAnchor(AnchorClient.from(value.cap.dup()), need)
          writeLoadResults(results, { kind: 'anchor', cap: facet, release: () => { facet.release() } })
          facet.release()
        } else {
          writeLoadResults(results, value)
        }
      } finally {
        release(value)
      }
    },
    store (params, _results, ctx) {
      need('write', 'storing')
      const value = params._hasValue() ? readValue(params.value) : undefined
      try {
        ctx.tailCall(anchor.store(p => {
          writeValue(p._initValue(), value)
          p.overwrite = params.overwrite
        }))
      } finally {
        release(value)
      }
    },
    clear (_params, _results, ctx) {
      need('write', 'clearing')
      ctx.tailCall(anchor.clear())
    },
    makeChan (params, _results, ctx) {
      need('write', 'making a channel')
      ctx.tailCall(anchor.makeChan(p => {
        p.capacity = params.capacity
        p.overwrite = params.overwrite
      }))
    },
    [Symbol.dispose] () { anchor.release() }
  }
  return AnchorClient.serve(server)
}

function release (value: AnchorValue<Capability> | undefined): void {
  if (value !== undefined && value.kind !== 'bytes') value.release?.()
}
