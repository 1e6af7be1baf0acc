// The Deployments capability (schema/deploy.capnp) over a DeploymentService: its codec, and for remote peers
// without the exec right a variant that refuses deploy, scale and undeploy.
import { LimitExceeded } from '../../errors.js'
import type { DeploymentSpec } from '../../cluster/deployments/index.js'
import type { DeploySpec, ReplicaStatus } from '../../schema/deploy.js'
import { DeploymentsClient, Deployments_Deploy$Params$Caps, Deployments_Source$Results$Caps, type DeploymentsClient as Client } from '../../schema/deploy.rpc.js'
import type { HostClient } from '../../schema/host.rpc.js'
import { hostLimits } from '../limits.js'
import { serveModuleSource } from '../spawn-request.js'
import type { ReplicaState } from './replicas.js'
import type { DeploymentService } from './service.js'

export interface DeploymentsServing {
  service: DeploymentService
  /** Live hosts' peer IDs (this one included), and another's Host capability (yours to release). */
  peers: () => string[]
  self: string
  hostOf: (peer: string) => Promise<HostClient>
  /** Refuses deploy, scale and undeploy with this error (a peer without exec). */
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
    const timeout = AbortSignal.timeout(hostLimits.deployReportTimeoutMs)
    using host = await o.hostOf(peer)
    using d = host.deployments()
    using ans = d.pipeline.deployments.local(undefined, { signal: timeout })
    return [...(await ans).replicas].map(r => ({ host: r.host, state: readReplica(r) }))
  }))
  return lists.flatMap(r => r.status === 'fulfilled' ? r.value : [])
}

function writeReplica (to: ReplicaStatus, r: ReplicaState, host: string): void {
  to.deployment = r.deployment
  to.index = r.index
  to.host = host
  to.pid = r.pid
  to.state = r.state
  to.restarts = r.restarts
  to.lastExit = r.lastExit
  to.version = BigInt(r.version)
}

export function readReplica (r: ReplicaStatus): ReplicaState {
  return {
    deployment: r.deployment,
    index: r.index,
    version: Number(r.version),
    pid: r.pid,
    state: r.state as ReplicaState['state'],
    restarts: r.restarts,
    lastExit: r.lastExit
  }
}

export function writeSpec (to: DeploySpec, name: string, s: DeploymentSpec): void {
  to.name = name
  const hash = Buffer.from(s.module, 'hex')
  to._initModule(hash.byteLength).copyBuffer(hash)
  const args = to._initArgs(s.args.length)
  s.args.forEach((a, i) => args.set(i, a))
  const env = to._initEnv(s.env.length)
  s.env.forEach((e, i) => env.set(i, e))
  const l = to._initLimits()
  l.memoryBytes = BigInt(s.limits.memoryBytes)
  l.fuel = BigInt(s.limits.fuel)
  l.timeoutMs = BigInt(s.limits.timeoutMs)
  to.root = s.root
  to.replicas = s.replicas
  const where = to._initWhere(s.where.length)
  s.where.forEach((w, i) => where.set(i, w))
  to.spread = s.spread
  to.perHost = s.perHost
}

export function readSpec (s: DeploySpec): DeploymentSpec {
  if (s.args.length > hostLimits.spawnArgsMax || s.env.length > hostLimits.spawnEnvMax) throw new LimitExceeded('too many arguments or environment entries')
  const l = s._hasLimits() ? s.limits : undefined
  return {
    module: Buffer.from(s.module.toUint8Array()).toString('hex'),
    args: [...s.args],
    env: [...s.env],
    limits: { memoryBytes: Number(l?.memoryBytes ?? 0n), fuel: Number(l?.fuel ?? 0n), timeoutMs: Number(l?.timeoutMs ?? 0n) },
    root: s.root,
    replicas: s.replicas,
    where: [...s.where],
    spread: s.spread,
    perHost: s.perHost
  }
}
