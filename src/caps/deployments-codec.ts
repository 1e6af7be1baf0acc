// Reading and writing the structs of schema/deploy.capnp (shared by the server and the commands; no libp2p here).
import { LimitExceeded } from '../errors.js'
import type { DeploymentSpec } from '../cluster/deployments/record.js'
import type { DeploySpec, ReplicaStatus } from '../schema/deploy.js'
import { capsLimits } from './limits.js'

/** What a replica is: its deployment's record and index, and what it is doing. */
export interface ReplicaState {
  deployment: string
  index: number
  version: number
  pid: number
  state: 'starting' | 'running' | 'backoff' | 'failed'
  restarts: number
  lastExit: string
}

export function writeReplica (to: ReplicaStatus, r: ReplicaState, host: string): void {
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
  if (s.args.length > capsLimits.spawnArgsMax || s.env.length > capsLimits.spawnEnvMax) throw new LimitExceeded('too many arguments or environment entries')
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
