// The Anchor capability: one server per AnchorRef, which it releases when the capability goes.
// Values in the tree are Capability references owned by the tree (see tree.ts); load hands out
// new references through the results message, store takes references of its own.

import type { Capability } from '../rpc/index.js'
import {
  AnchorClient, Anchor_Lookup$Results$Caps, Anchor_MakeChan$Results$Caps, Anchor_Walk$Results$Caps, type AnchorServer
} from '../schema/anchor.rpc.js'
import { serveChan } from './chan.js'
import type { ChanLimits } from '../csp/limits.js'
import type { AnchorRef, AnchorTree } from '../anchor/tree.js'
import { kindToWire, readValue, writeLoadResults } from './anchor-value.js'

export interface AnchorServerOptions {
  /** Limits for channels made with makeChan. */
  chanLimits?: Partial<ChanLimits>
}

/**
 * The capability served for each anchor (by AnchorRef.key) while any reference to it lives: a walk
 * to an anchor already served adds a reference to that capability instead of serving the anchor
 * again (a new server, export and import on each side, and a Release later).
 */
type Served = WeakMap<object, AnchorClient> // borrowed (unowned) handles: they keep nothing alive

/** The root of a tree as an Anchor capability (yours to release). */
export function serveTree (tree: AnchorTree<Capability>, opts: AnchorServerOptions = {}): AnchorClient {
  return new ServedTree(tree, opts).root()
}

/**
 * A tree served as Anchor capabilities that share one walk cache: its root, and walks made here
 * without a call (the cluster root reaches "/<self>/..." so, not through the root's walk).
 */
export class ServedTree {
  private readonly served: Served = new WeakMap()
  constructor (private readonly tree: AnchorTree<Capability>, private readonly opts: AnchorServerOptions = {}) {}

  /** The root as an Anchor capability (yours to release). */
  root (): AnchorClient { return serveAnchor(this.tree.root(), this.opts, this.served) }

  /** The anchor at `path` (made if missing) as a capability (yours to release); throws as a walk does. */
  walk (path: string): AnchorClient {
    const root = this.tree.root()
    try {
      return capabilityOf(root.walk(path), this.opts, this.served)
    } finally { root.release() }
  }

  /** The existing anchor at `path` as a capability (yours to release); throws as a lookup does. */
  lookup (path: string): AnchorClient {
    const root = this.tree.root()
    try {
      return capabilityOf(root.lookup(path), this.opts, this.served)
    } finally { root.release() }
  }
}

/** The capability for the anchor `target` names (taking `target` over): the one served already, or a new one. */
function capabilityOf (target: AnchorRef<Capability>, opts: AnchorServerOptions, served: Served): AnchorClient {
  const already = served.get(target.key)
  if (already === undefined) return serveAnchor(target, opts, served)
  target.release() // that capability holds the anchor already
  return already.dup()
}

/** Serves one anchor; takes over `ref`, released with the capability's last reference. */
export function serveAnchor (ref: AnchorRef<Capability>, opts: AnchorServerOptions = {}, served: Served = new WeakMap()): AnchorClient {
  const server: AnchorServer = {
    ls (_params, results) {
      const children = ref.ls()
      const list = results._initChildren(children.length)
      children.forEach((c, i) => {
        const out = list.get(i)
        out.name = c.name
        out.kind = kindToWire(c.kind)
        out.children = c.children
      })
    },
    walk (params, results) {
      using child = capabilityOf(ref.walk(params.path), opts, served)
      Anchor_Walk$Results$Caps.anchor.set(results, child)
    },
    lookup (params, results) {
      using found = capabilityOf(ref.lookup(params.path), opts, served)
      Anchor_Lookup$Results$Caps.anchor.set(results, found)
    },
    load (_params, results) {
      writeLoadResults(results, ref.load())
    },
    clear () {
      ref.clear()
    },
    store (params, _results) {
      const value = params._hasValue() ? readValue(params.value) : undefined
      try {
        ref.store(value, { overwrite: params.overwrite })
      } catch (err) {
        if (value !== undefined && value.kind !== 'bytes') value.release?.()
        throw err
      }
    },
    path (_params, results) {
      results.path = ref.path
    },
    makeChan (params, results) {
      using chan = serveChan(params.capacity, { limits: opts.chanLimits })
      const held = chan.dup()
      try {
        ref.store({ kind: 'chan', cap: held, release: () => { held.release() } }, { overwrite: params.overwrite })
      } catch (err) {
        held.release()
        throw err
      }
      Anchor_MakeChan$Results$Caps.chan.set(results, chan)
    },
    [Symbol.dispose] () {
      if (served.get(key) === borrowed) served.delete(key)
      ref.release()
    }
  }
  const key = ref.key
  const client = AnchorClient.serve(server)
  const borrowed = new AnchorClient(client.hook, false)
  served.set(key, borrowed)
  return client
}
