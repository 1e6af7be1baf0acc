// The Host a remote peer is handed: built from the node's parts for that peer's rights, holding only what
// they grant (policy.ts says where each method falls). A peer with every right gets the node's parts whole (node.ts).
import { SELF_COMPONENT } from '../caps/anchor-cluster-root.js'
import type { AnchorClient } from '../schema/anchor.rpc.js'
import type { ExecutorClient } from '../schema/executor.rpc.js'
import type { HostParts } from '../caps/host.js'
import { ALL_RIGHTS, RIGHTS, lacks, type Rights } from './policy.js'
import { restrictAnchor } from './policy-anchor.js'

/**
 * `parts` as `peer` may use them on the host `self`. With exec, its executor is a new one (yours to release)
 * from `executorRooted`, whose procs see as "/" the cluster root as `peer` may use it: a proc runs with its
 * spawner's authority, not its host's.
 */
export function partsForPeer (
  parts: HostParts, self: string, peer: string, rights: Rights, executorRooted: (root: () => AnchorClient) => ExecutorClient
): HostParts {
  if (ALL_RIGHTS.size === rights.size) throw new Error('partsForPeer is for a peer with fewer than every right')
  const readOnly = rights.has('read') ? undefined : lacks(peer, 'read', 'reading this host')
  const { root, local } = parts
  const peerRoot = root === undefined ? undefined : () => restrictAnchor(root(), peer, rights)
  return {
    info: parts.info,
    metrics: parts.metrics,
    view: parts.view,
    router: parts.router,
    root: peerRoot,
    local: local === undefined ? undefined : () => restrictAnchor(local(), peer, rights),
    endpoints: parts.endpoints,
    deployments: parts.deployments,
    executor: rights.has('exec') && peerRoot !== undefined ? executorRooted(peerRoot) : undefined,
    peer: async name => {
      if (name === '' || name === self || name === SELF_COMPONENT) return undefined
      throw lacks(peer, RIGHTS.find(r => !rights.has(r))!, 'reaching other hosts through this one needs every right: dial them directly')
    },
    refused: {
      info: readOnly,
      root: readOnly,
      local: readOnly,
      cluster: readOnly,
      pubsub: readOnly,
      endpoints: readOnly,
      deployments: readOnly,
      metrics: readOnly,
      executor: rights.has('exec') ? undefined : lacks(peer, 'exec', 'running procs: spawn, ps, kill')
    }
  }
}
