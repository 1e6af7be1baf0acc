// "Interface.method" for every method of the schema's interfaces, by (interface ID, method ID): the labels
// of the RPC call counters. Read from the generated clients, so a new interface is named without a word here.
import * as anchor from '../schema/anchor.rpc.js'
import * as channel from '../schema/channel.rpc.js'
import * as cluster from '../schema/cluster.rpc.js'
import * as deploy from '../schema/deploy.rpc.js'
import * as endpoints from '../schema/endpoints.rpc.js'
import * as executor from '../schema/executor.rpc.js'
import * as host from '../schema/host.rpc.js'
import * as metrics from '../schema/metrics.rpc.js'
import * as proc from '../schema/proc.rpc.js'
import * as pubsub from '../schema/pubsub.rpc.js'
import type { DispatchTable } from '../rpc/index.js'

interface GeneratedClient { interfaceId: bigint, dispatch: DispatchTable }

/** interface ID -> method ID -> "Interface.method" (a nested interface as "Topic.Subscriber"). */
export type MethodNames = ReadonlyMap<bigint, readonly string[]>

export function schemaMethodNames (): MethodNames {
  const names = new Map<bigint, string[]>()
  for (const mod of [anchor, channel, cluster, deploy, endpoints, executor, host, metrics, proc, pubsub]) {
    for (const [exported, value] of Object.entries(mod)) {
      if (!exported.endsWith('Client') || typeof value !== 'function') continue
      const client = value as unknown as Partial<GeneratedClient>
      if (typeof client.interfaceId !== 'bigint' || client.dispatch === undefined) continue
      const iface = exported.slice(0, -'Client'.length).replace(/_/g, '.')
      const methods = client.dispatch.get(client.interfaceId) ?? []
      names.set(client.interfaceId, methods.map(m => `${iface}.${m.name}`))
    }
  }
  return names
}
