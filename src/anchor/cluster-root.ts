// The cluster root "/": its children are the live hosts, by peer ID. Walking "/<peer>/a/b"
// forwards "a/b" to that host's root as a tail call, so the caller's following calls (load,
// send, ...) travel with the walk: one round trip for the whole chain. This file knows nothing
// of libp2p: the host layer supplies ClusterHosts.

import { AnchorClient, Anchor_Walk$Results$Caps, type AnchorServer } from '../schema/anchor.rpc.js'
import { Kind } from '../schema/anchor.js'
import { InvalidArgument, NotFound } from '../errors.js'
import { DEFAULT_ANCHOR_LIMITS, type AnchorLimits } from './limits.js'
import { formatPath, parsePath } from './path.js'
import { writeValue } from './value.js'

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
}

/** The path component that names the host the caller is on. */
export const SELF_COMPONENT = 'peer'

/** Serves the cluster root as an Anchor capability (yours to release). */
export function serveClusterRoot (hosts: ClusterHosts, limits: Partial<AnchorLimits> = {}): AnchorClient {
  const lim = { ...DEFAULT_ANCHOR_LIMITS, ...limits }
  const noValue = (): never => {
    throw new InvalidArgument('the cluster root holds no value: store under /<peer>/...')
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
      const parts = parsePath(params.path, lim)
      if (parts.length === 0) {
        using again = serveClusterRoot(hosts, limits)
        Anchor_Walk$Results$Caps.anchor.set(results, again)
        return
      }
      const [name, ...rest] = parts
      const peer = name === SELF_COMPONENT && hosts.self !== undefined ? hosts.self : name
      if (peer !== hosts.self && !(hosts.isLive?.(peer) ?? hosts.peers().includes(peer))) throw new NotFound(`no live host ${JSON.stringify(peer)}`)
      if (peer === hosts.self && rest.length > 0 && hosts.walkSelf !== undefined) {
        using anchor = hosts.walkSelf(formatPath(rest))
        Anchor_Walk$Results$Caps.anchor.set(results, anchor)
        return
      }
      using root = hosts.hostRoot(peer)
      if (rest.length === 0) {
        Anchor_Walk$Results$Caps.anchor.set(results, root)
        return
      }
      // The remote walk's answer becomes this one: the caller's following calls are forwarded
      // to it as they come, and a caller that only pipelines gets no Return from either hop.
      ctx.tailCall(root.walk((p) => { p.path = formatPath(rest) }, { onlyPipeline: ctx.onlyPipeline }))
    },
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

