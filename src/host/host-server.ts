// The Host capability: the bootstrap of every node, on libp2p and on the API socket.
import { Unimplemented } from '../errors.js'
import type { AnchorClient } from '../schema/anchor.rpc.js'
import type { ViewClient } from '../schema/cluster.rpc.js'
import type { HostInfo } from '../schema/host.js'
import {
  HostClient, Host_Cluster$Results$Caps, Host_Executor$Results$Caps, Host_Local$Results$Caps,
  Host_Peer$Results$Caps, Host_Pubsub$Results$Caps, Host_Root$Results$Caps
} from '../schema/host.rpc.js'
import type { ExecutorClient } from '../schema/proc.rpc.js'
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
  /** Another live host's Host capability (yours to release); NotFound for an unknown peer. */
  peer?: (peer: string) => Promise<HostClient>
}

/** Serves the Host capability; it holds its own references to the parts. */
export function serveHost (parts: HostParts): HostClient {
  const missing = (what: string): never => { throw new Unimplemented(`${what} is not available on this host`) }
  const view = parts.view.dup()
  const router = parts.router.dup()
  const executor = parts.executor?.dup()
  return HostClient.serve({
    info (_params, results) { parts.info(results._initInfo()) },
    root (_params, results) {
      const a = parts.root?.() ?? missing('the anchor tree')
      Host_Root$Results$Caps.anchor.set(results, a)
      a.release()
    },
    local (_params, results) {
      const a = parts.local?.() ?? missing('the anchor tree')
      Host_Local$Results$Caps.anchor.set(results, a)
      a.release()
    },
    cluster (_params, results) { Host_Cluster$Results$Caps.view.set(results, view) },
    executor (_params, results) {
      Host_Executor$Results$Caps.executor.set(results, executor ?? missing('the executor'))
    },
    pubsub (_params, results) { Host_Pubsub$Results$Caps.router.set(results, router) },
    async peer (params, results) {
      if (parts.peer === undefined) missing('reaching other hosts')
      using h = await parts.peer!(params.peer)
      Host_Peer$Results$Caps.host.set(results, h)
    },
    [Symbol.dispose] () {
      view.release()
      router.release()
      executor?.release()
    }
  })
}
