// The cluster's deployments (Deployments.list: desired replicas, and what every live host reports of its own) and
// the named endpoints (Endpoints.names), both asked of this node every deployPollMs: the schema has no watch for them.
import type { HostClient } from '../src/schema/host.rpc.js'
import type { DeploymentStatus } from '../src/schema/deploy.js'
import { uiLimits } from './limits.js'
import { pollWithBackoff } from './poll-loop.js'

export interface ReplicaRow {
  index: number
  /** Peer ID of the host it runs on. */
  host: string
  /** 0 while it does not run. */
  pid: number
  /** starting, running, backoff or failed. */
  state: string
  restarts: number
  lastExit: string
}

export interface DeploymentRow {
  name: string
  version: number
  /** Replicas the placement asks for (with perHost: the matching hosts). */
  desired: number
  running: number
  restarts: number
  unplaceable: boolean
  /** How it is placed, as ww deployments prints it: "3 replicas, spread zone, where k=v". */
  placement: string
  replicas: ReplicaRow[]
}

export interface NameRow { name: string, hosts: number }

function rowOf (d: DeploymentStatus): DeploymentRow {
  const s = d.spec
  const replicas = [...d.replicas].map(r => ({ index: r.index, host: r.host, pid: r.pid, state: r.state, restarts: r.restarts, lastExit: r.lastExit }))
    .sort((a, b) => a.index - b.index || (a.host < b.host ? -1 : 1))
  const placement = [s.perHost ? 'one per host' : `${s.replicas} replica${s.replicas === 1 ? '' : 's'}`]
  if (s.spread !== '') placement.push(`spread ${s.spread}`)
  if (s.where.length > 0) placement.push(`where ${[...s.where].join(',')}`)
  return {
    name: d.name,
    version: Number(d.version),
    desired: s.perHost ? d.placed.length : s.replicas,
    running: replicas.filter(r => r.state === 'running').length,
    restarts: replicas.reduce((n, r) => n + r.restarts, 0),
    unplaceable: d.unplaceable,
    placement: placement.join(', '),
    replicas
  }
}

export class Deployments {
  deployments: DeploymentRow[] = []
  names: NameRow[] = []
  /** Why the last list or names failed, or undefined. */
  failed?: string
  private readonly listeners: Array<() => void> = []

  constructor (private readonly host: HostClient) {}

  onChange (fn: () => void): void { this.listeners.push(fn) }

  start (): void {
    pollWithBackoff(async () => { await this.poll() }, uiLimits.deployPollMs, uiLimits.deployPollCostFactor)
  }

  async poll (): Promise<void> {
    const why: string[] = []
    await Promise.all([
      (async () => {
        using d = this.host.deployments()
        using list = d.pipeline.deployments.list()
        this.deployments = [...(await list).deployments].map(rowOf)
      })().catch((err: Error) => { why.push(`deployments: ${err.message}`) }),
      (async () => {
        using e = this.host.endpoints()
        using names = e.pipeline.endpoints.names()
        this.names = [...(await names).names].map(n => ({ name: n.name, hosts: n.hosts }))
      })().catch((err: Error) => { why.push(`endpoints: ${err.message}`) })
    ])
    this.failed = why.length === 0 ? undefined : why.join('; ')
    for (const fn of this.listeners) fn()
  }
}
