// The Host capability: the bootstrap of every node, on libp2p and on the API socket.
// The owner's methods (stop, connect) are given only to the API socket's Host (OwnerParts): the Host that
// libp2p peers get is built without them and refuses them.
import { PermissionDenied, Unimplemented } from '../errors.js'
import type { AnchorClient } from '../schema/anchor.rpc.js'
import type { ViewClient } from '../schema/cluster.rpc.js'
import type { DeploymentsClient } from '../schema/deploy.rpc.js'
import type { HostInfo } from '../schema/host.js'
import type { Snapshot } from '../schema/metrics.js'
import {
  HostClient, Host_Cluster$Results$Caps, Host_Deployments$Results$Caps, Host_Endpoints$Results$Caps, Host_Executor$Results$Caps, Host_Local$Results$Caps,
  Host_Peer$Results$Caps, Host_Pubsub$Results$Caps, Host_Root$Results$Caps
} from '../schema/host.rpc.js'
import type { ExecutorClient } from '../schema/executor.rpc.js'
import type { EndpointsClient } from '../schema/endpoints.rpc.js'
import type { RouterClient } from '../schema/pubsub.rpc.js'

export interface HostParts {
  info: (to: HostInfo) => void
  view: ViewClient
  router: RouterClient
  /** The cluster root "/", when the anchor layer is present. */
  root?: () => AnchorClient
  /** This host's own tree. */
  local?: () => AnchorClient
  executor?: ExecutorClient
  /**
   * Another live host's Host capability (yours to release); undefined when `peer` names this host
   * (the Host being served is the answer); NotFound for an unknown peer.
   */
  peer?: (peer: string) => Promise<HostClient | undefined>
  /** Named endpoints (a new reference each call): the owner's may publish, a remote peer's may not. */
  endpoints?: () => EndpointsClient
  /** Deployments: for a peer without the exec right, one that refuses deploy, scale and undeploy. */
  deployments?: DeploymentsClient
  /** Fills in this host's counters (Host.metrics), when the node keeps them. */
  metrics?: (to: Snapshot) => Promise<void>
  /** Methods this Host refuses, with the error each fails with (a remote peer's missing rights: policy-host.ts). */
  refused?: Partial<Record<RefusableMethod, Error>>
}

export type RefusableMethod = 'info' | 'root' | 'local' | 'cluster' | 'executor' | 'pubsub' | 'endpoints' | 'deployments' | 'metrics'

/** What only the node's owner may do: given to the API socket's Host alone. */
export interface OwnerParts {
  /** Starts a graceful stop; returns the node's process ID. */
  stop: () => number
  /** Dials `addr`; returns the peer ID reached. */
  connect: (addr: string) => Promise<string>
}

/** Serves the Host capability; it holds its own references to the parts. Without `owner`, stop and connect are refused. */
export function serveHost (parts: HostParts, owner?: OwnerParts): HostClient {
  const missing = (what: string): never => { throw new Unimplemented(`${what} is not available on this host`) }
  const ownerOnly = (what: string): never => {
    throw new PermissionDenied(`${what} is for the node's owner: run it on the node's machine, through its API socket`)
  }
  const view = parts.view.dup()
  const router = parts.router.dup()
  const executor = parts.executor?.dup()
  const deployments = parts.deployments?.dup()
  const refuse = (method: RefusableMethod): void => {
    const err = parts.refused?.[method]
    if (err !== undefined) throw err
  }
  const self: HostClient = HostClient.serve({
    info (_params, results) {
      refuse('info')
      parts.info(results._initInfo())
    },
    root (_params, results) {
      refuse('root')
      const a = parts.root?.() ?? missing('the anchor tree')
      Host_Root$Results$Caps.anchor.set(results, a)
      a.release()
    },
    local (_params, results) {
      refuse('local')
      const a = parts.local?.() ?? missing('the anchor tree')
      Host_Local$Results$Caps.anchor.set(results, a)
      a.release()
    },
    cluster (_params, results) {
      refuse('cluster')
      Host_Cluster$Results$Caps.view.set(results, view)
    },
    executor (_params, results) {
      refuse('executor')
      Host_Executor$Results$Caps.executor.set(results, executor ?? missing('the executor'))
    },
    pubsub (_params, results) {
      refuse('pubsub')
      Host_Pubsub$Results$Caps.router.set(results, router)
    },
    async peer (params, results) {
      if (parts.peer === undefined) missing('reaching other hosts')
      const h = await parts.peer!(params.peer)
      if (h === undefined) {
        Host_Peer$Results$Caps.host.set(results, self)
        return
      }
      using held = h
      Host_Peer$Results$Caps.host.set(results, held)
    },
    endpoints (_params, results) {
      refuse('endpoints')
      using e = parts.endpoints?.() ?? missing('endpoints')
      Host_Endpoints$Results$Caps.endpoints.set(results, e)
    },
    deployments (_params, results) {
      refuse('deployments')
      Host_Deployments$Results$Caps.deployments.set(results, deployments ?? missing('deployments'))
    },
    stop (_params, results) {
      if (owner === undefined) ownerOnly('stopping a node')
      results.pid = owner!.stop()
    },
    async connect (params, results) {
      if (owner === undefined) ownerOnly('dialing a peer')
      results.peer = await owner!.connect(params.addr)
    },
    async metrics (_params, results) {
      refuse('metrics')
      if (parts.metrics === undefined) missing('metrics')
      await parts.metrics!(results._initSnapshot())
    },
    [Symbol.dispose] () {
      view.release()
      router.release()
      executor?.release()
      deployments?.release()
    }
  })
  return self
}
