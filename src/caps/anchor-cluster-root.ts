// The cluster root "/": its children are the live hosts, by peer ID. Walking "/<peer>/a/b"
// forwards "a/b" to that host's root as a tail call, so the caller's following calls (load,
// send, ...) travel with the walk: one round trip for the whole chain. This file knows nothing
// of libp2p: the host layer supplies ClusterHosts.

import { AnchorClient, Anchor_Lookup$Results$Caps, Anchor_Walk$Results$Caps, type AnchorServer } from '../schema/anchor.rpc.js'
import { Kind } from '../schema/anchor.js'
import { InvalidArgument, NotFound } from '../errors.js'
import { DEFAULT_ANCHOR_LIMITS, type AnchorLimits } from '../anchor/limits.js'
import { formatPath, parsePath } from '../anchor/path.js'
import { writeValue } from './anchor-value.js'

export interface ClusterHosts {
  /** The live hosts' peer IDs (from the membership table). */
  peers: () => string[]
  /**
   * A new reference to a live host's root Anchor (this host's own tree, or another host's over
   * RPC). Throws NotFound for an unknown peer, Disconnected when it cannot be reached.
   */
  hostRoot: (peer: string) => AnchorClient
  /** Whether `peer` is a live host (default: a search of peers(); a walk asks this every time). */
  isLive?: (peer: string) => boolean
  /** This host's peer ID: "/peer" is another name for "/<self>". */
  self?: string
  /** This host's own tree at a path below its root, without a call (default: hostRoot(self).walk). */
  walkSelf?: (path: string) => AnchorClient
  /** The same, for an anchor that exists (NotFound otherwise) (default: hostRoot(self).lookup). */
  lookupSelf?: (path: string) => AnchorClient
}

/** The path component that names the host the caller is on. */
export const SELF_COMPONENT = 'peer'

/** Serves the cluster root as an Anchor capability (yours to release). */
export function serveClusterRoot (hosts: ClusterHosts, limits: Partial<AnchorLimits> = {}): AnchorClient {
  const lim = { ...DEFAULT_ANCHOR_LIMITS, ...limits }
  const noValue = (): never => {
    throw new InvalidArgument('the cluster root holds no value: store under /<peer>/...')
  }
  /**
   * Where a walk or lookup of `path` from "/" leads: an anchor reached here (yours to release), or
   * a host's root (yours to release) and the rest of the path, to be walked or looked up there.
   */
  const reach = (path: string, how: 'walk' | 'lookup'): { anchor: AnchorClient } | { root: AnchorClient, rest: string } => {
    const parts = parsePath(path, lim)
    if (parts.length === 0) return { anchor: serveClusterRoot(hosts, limits) }
    const [name, ...rest] = parts
    const peer = name === SELF_COMPONENT && hosts.self !== undefined ? hosts.self : name
    if (peer !== hosts.self && !(hosts.isLive?.(peer) ?? hosts.peers().includes(peer))) throw new NotFound(`no live host ${JSON.stringify(peer)}`)
    const here = how === 'walk' ? hosts.walkSelf : hosts.lookupSelf
    if (peer === hosts.self && rest.length > 0 && here !== undefined) return { anchor: here(formatPath(rest)) }
    const root = hosts.hostRoot(peer)
    return rest.length === 0 ? { anchor: root } : { root, rest: formatPath(rest) }
  }

  const server: AnchorServer = {
    ls (_params, results) {
      const peers = [...hosts.peers()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      const list = results._initChildren(peers.length)
      peers.forEach((peer, i) => {
        const c = list.get(i)
        c.name = peer
        c.kind = Kind.HOST
        c.children = 0 // not known without asking the host
      })
    },
    walk (params, results, ctx) {
      const found = reach(params.path, 'walk')
      if ('anchor' in found) {
        using anchor = found.anchor
        Anchor_Walk$Results$Caps.anchor.set(results, anchor)
        return
      }
      using root = found.root
      // The remote walk's answer becomes this one: the caller's following calls are forwarded
      // to it as they come, and a caller that only pipelines gets no Return from either hop.
      ctx.tailCall(root.walk((p) => { p.path = found.rest }, { onlyPipeline: ctx.onlyPipeline }))
    },
    lookup (params, results, ctx) {
      const found = reach(params.path, 'lookup')
      if ('anchor' in found) {
        using anchor = found.anchor
        Anchor_Lookup$Results$Caps.anchor.set(results, anchor)
        return
      }
      using root = found.root
      ctx.tailCall(root.lookup((p) => { p.path = found.rest }, { onlyPipeline: ctx.onlyPipeline }))
    },
    clear: noValue,
    load (_params, results) {
      writeValue(results._initValue(), undefined)
    },
    store: noValue,
    makeChan: noValue,
    path (_params, results) {
      results.path = '/'
    }
  }
  return AnchorClient.serve(server)
}

