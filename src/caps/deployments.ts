// The Deployments capability (schema/deploy.capnp) over a DeploymentService: its codec, and for remote peers
// a variant that refuses deploy, scale and undeploy (only the owner changes deployments: see node.ts).
import { DeploymentsClient, Deployments_Deploy$Params$Caps, Deployments_Source$Results$Caps, type DeploymentsClient as Client } from '../schema/deploy.rpc.js'
import type { HostClient } from '../schema/host.rpc.js'
import { capsLimits } from './limits.js'
import { serveModuleSource } from './module-source.js'
import type { DeploymentRecord, DeploymentSpec, Placement } from '../cluster/deployments/index.js'
import { readReplica, readSpec, writeReplica, writeSpec, type ReplicaState } from './deployments-codec.js'

/** What the server uses of this host's deployments (src/host/deployments/service.ts): each call returns the new version. */
export interface DeploymentBackend {
  deploy: (name: string, spec: DeploymentSpec, fetch?: (hash: Uint8Array) => Promise<Uint8Array>) => Promise<number>
  scale: (name: string, replicas: number) => Promise<number>
  undeploy: (name: string) => Promise<number>
  deployments: () => Array<{ record: DeploymentRecord, placement: Placement }>
  replicas: () => ReplicaState[]
  module: (hash: Uint8Array) => Promise<Uint8Array | undefined>
}

export interface DeploymentsServing {
  service: DeploymentBackend
  /** Live hosts' peer IDs (this one included), and another's Host capability (yours to release). */
  peers: () => string[]
  self: string
  hostOf: (peer: string) => Promise<HostClient>
  /** Refuses deploy, scale and undeploy with this error (served to a remote peer: only the owner changes deployments). */
  refuseChanges?: Error
}

export function serveDeployments (o: DeploymentsServing): Client {
  const { service } = o
  const change = (): void => { if (o.refuseChanges !== undefined) throw o.refuseChanges }
  return DeploymentsClient.serve({
    async deploy (params, results) {
      change()
      const spec = readSpec(params.spec)
      const source = Deployments_Deploy$Params$Caps.source.has(params) ? Deployments_Deploy$Params$Caps.source.get(params) : undefined
      const fetch = source === undefined
        ? undefined
        : async (hash: Uint8Array): Promise<Uint8Array> => {
          using ans = source.fetch(p => { p._initHash(hash.byteLength).copyBuffer(hash) })
          return (await ans).bytes.toUint8Array().slice()
        }
      results.version = BigInt(await service.deploy(params.spec.name, spec, fetch))
    },
    async scale (params, results) {
      change()
      results.version = BigInt(await service.scale(params.name, params.replicas))
    },
    async undeploy (params, results) {
      change()
      results.version = BigInt(await service.undeploy(params.name))
    },
    async list (_params, results) {
      const deployments = service.deployments()
      const reports = await gatherReplicas(o)
      const list = results._initDeployments(deployments.length)
      deployments.forEach(({ record, placement }, i) => {
        const d = list.get(i)
        d.name = record.name
        d.version = BigInt(record.version)
        d.author = record.author
        writeSpec(d._initSpec(), record.name, record.spec!)
        const placed = d._initPlaced(placement.hosts.length)
        placement.hosts.forEach((h, k) => placed.set(k, h))
        d.unplaceable = placement.unplaceable
        const mine = reports.filter(r => r.state.deployment === record.name).sort((a, b) => a.state.index - b.state.index)
        const reps = d._initReplicas(mine.length)
        mine.forEach((r, k) => { writeReplica(reps.get(k), r.state, r.host) })
      })
    },
    local (_params, results) {
      const mine = service.replicas()
      const list = results._initReplicas(mine.length)
      mine.forEach((r, i) => { writeReplica(list.get(i), r, o.self) })
    },
    source (_params, results) {
      using s = serveModuleSource(async h => await service.module(h))
      Deployments_Source$Results$Caps.source.set(results, s)
    }
  })
}

/** The replicas every live host reports (a host that does not answer within deployReportTimeoutMs is left out). */
async function gatherReplicas (o: DeploymentsServing): Promise<Array<{ host: string, state: ReplicaState }>> {
  const lists = await Promise.allSettled(o.peers().map(async peer => {
    if (peer === o.self) return o.service.replicas().map(state => ({ host: peer, state }))
    const timeout = AbortSignal.timeout(capsLimits.deployReportTimeoutMs)
    const ask = (async () => {
      using host = await o.hostOf(peer)
      using d = host.deployments()
      using ans = d.pipeline.deployments.local(undefined, { signal: timeout })
      return [...(await ans).replicas].map(r => ({ host: r.host, state: readReplica(r) }))
    })()
    // a host that cannot even be dialed in time is left out too
    return await Promise.race([ask, new Promise<never>((_resolve, reject) => {
      timeout.addEventListener('abort', () => { reject(new Error(`${peer} did not answer`)) })
    })])
  }))
  return lists.flatMap(r => r.status === 'fulfilled' ? r.value : [])
}
