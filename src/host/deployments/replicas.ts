// The reconciler: on every change of the deployment records or of the live hosts (and every deployReconcileMs),
// a host computes the placement (cluster/deployments/placement.ts) and starts the replicas assigned to it, stops
// the ones no longer assigned, and restarts one whose spec changed. A replica that ends, however it ends, or
// cannot start (its module cannot be fetched, say) is started again after a delay that doubles at each end in a
// row (deployRestartMinMs..deployRestartMaxMs) and starts over once a replica ran deployRestartResetMs.
import { logger } from '../../log.js'
import { placeAll, type DeploymentRecord, type PlacementHost } from '../../cluster/deployments/index.js'
import type { Proc } from '../../proc/index.js'
import { hostLimits } from '../limits.js'
import type { ReplicaState } from '../../caps/deployments-codec.js'

const log = logger('ww:host:deploy')

export type { ReplicaState } from '../../caps/deployments-codec.js'

/** Starts one replica: resolves with its proc, or throws why it could not start. */
export type StartReplica = (record: DeploymentRecord, index: number) => Promise<Proc>

interface Slot extends ReplicaState {
  /** The spec it runs (all but the replica count): a change restarts it. */
  specKey: string
  record: DeploymentRecord
  proc?: Proc
  timer?: ReturnType<typeof setTimeout>
  delayMs: number
  startedMs: number
  stopped: boolean
}

export class Reconciler {
  private readonly slots = new Map<string, Slot>()
  private scheduled: ReturnType<typeof setTimeout> | undefined
  private ticker: ReturnType<typeof setInterval> | undefined
  private running = false
  private closed = false

  constructor (
    private readonly self: string,
    /** The deployments that may run here (live, and made by an author this host lets run procs). */
    private readonly records: () => DeploymentRecord[],
    /** Live hosts, this one included, with their meta. */
    private readonly hosts: () => PlacementHost[],
    private readonly start: StartReplica
  ) {}

  /** Begins reconciling (a starting node calls it once it has had time to hear of the others). */
  begin (): void {
    if (this.closed || this.running) return
    this.running = true
    this.ticker = setInterval(() => { this.reconcile() }, hostLimits.deployReconcileMs)
    this.ticker.unref?.()
    this.reconcile()
  }

  /** Reconciles soon: changes that come together are handled at once. */
  schedule (): void {
    if (!this.running || this.closed || this.scheduled !== undefined) return
    this.scheduled = setTimeout(() => { this.scheduled = undefined; this.reconcile() }, 20)
  }

  /** The replicas of this host. */
  replicas (): ReplicaState[] {
    return [...this.slots.values()].map(s => ({
      deployment: s.deployment, index: s.index, version: s.version, pid: s.pid, state: s.state, restarts: s.restarts, lastExit: s.lastExit
    }))
  }

  reconcile (): void {
    if (!this.running || this.closed) return
    const records = this.records()
    const placement = placeAll(records, this.hosts())
    const wanted = new Map<string, { record: DeploymentRecord, index: number }>()
    for (const r of records) {
      placement.get(r.name)?.hosts.forEach((peer, index) => { if (peer === this.self) wanted.set(`${r.name}#${index}`, { record: r, index }) })
    }
    for (const [key, slot] of this.slots) {
      const w = wanted.get(key)
      if (w === undefined) {
        this.stop(key, slot, `killed: deployment ${slot.deployment} no longer places replica ${slot.index} here`)
      } else if (specKey(w.record) !== slot.specKey) {
        this.stop(key, slot, `killed: deployment ${slot.deployment} changed (v${w.record.version})`)
      } else {
        slot.version = w.record.version
        slot.record = w.record
      }
    }
    for (const [key, w] of wanted) {
      if (this.slots.has(key)) continue
      const slot: Slot = {
        deployment: w.record.name,
        index: w.index,
        version: w.record.version,
        pid: 0,
        state: 'starting',
        restarts: 0,
        lastExit: '',
        specKey: specKey(w.record),
        record: w.record,
        delayMs: hostLimits.deployRestartMinMs,
        startedMs: 0,
        stopped: false
      }
      this.slots.set(key, slot)
      this.launch(slot)
    }
  }

  /** Stops every replica (the node is stopping); they are not restarted. */
  close (): void {
    this.closed = true
    clearTimeout(this.scheduled)
    clearInterval(this.ticker)
    for (const [key, slot] of this.slots) this.stop(key, slot, 'killed: the node is stopping')
  }

  private stop (key: string, slot: Slot, why: string): void {
    slot.stopped = true
    clearTimeout(slot.timer)
    slot.proc?.kill(why)
    this.slots.delete(key)
    log('%s#%d stopped: %s', slot.deployment, slot.index, why)
  }

  private launch (slot: Slot): void {
    slot.state = 'starting'
    slot.timer = undefined
    slot.startedMs = Date.now()
    this.start(slot.record, slot.index).then(proc => {
      if (slot.stopped) {
        proc.kill('killed: its deployment no longer places it here')
        return
      }
      slot.proc = proc
      slot.pid = proc.pid
      slot.state = 'running'
      log('%s#%d running as pid %d', slot.deployment, slot.index, proc.pid)
      proc.onEnd(p => {
        if (slot.stopped || slot.proc !== p) return
        this.ended(slot, p.exitStatus?.message ?? 'ended')
      })
    }, (err: Error) => {
      if (slot.stopped) return
      log('%s#%d could not start: %s', slot.deployment, slot.index, err.message)
      this.ended(slot, `could not start: ${err.message}`, 'failed')
    })
  }

  private ended (slot: Slot, why: string, state: 'backoff' | 'failed' = 'backoff'): void {
    slot.proc = undefined
    slot.pid = 0
    slot.lastExit = why
    slot.state = state
    slot.restarts++
    if (Date.now() - slot.startedMs >= hostLimits.deployRestartResetMs) slot.delayMs = hostLimits.deployRestartMinMs
    const delay = slot.delayMs
    slot.delayMs = Math.min(slot.delayMs * 2, hostLimits.deployRestartMaxMs)
    slot.timer = setTimeout(() => { if (!slot.stopped) this.launch(slot) }, delay)
  }
}

function specKey (r: DeploymentRecord): string {
  const { replicas: _r, perHost: _p, where: _w, spread: _s, ...rest } = r.spec!
  return JSON.stringify(rest)
}
