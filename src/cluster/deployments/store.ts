// The deployment records a host keeps: one per name, the newest version winning, undeploys kept as tombstones
// (so an older record of the name, replayed or late, brings nothing back).
import { deployLimits } from './limits.js'
import { supersedes, type DeploymentRecord, type SignedDeployment } from './record.js'

/**
 * What applying a record did: it is now the name's record, it was older or the same, the store is full, or its
 * author is not one this host takes deployments from (such a record is neither kept nor counted nor passed on).
 */
export type ApplyOutcome = 'applied' | 'stale' | 'full' | 'untrusted'

export class DeploymentStore {
  private readonly byName = new Map<string, SignedDeployment>()
  private readonly listeners = new Set<(r: SignedDeployment) => void>()

  constructor (
    private readonly limits: { maxDeployments: number, maxTombstones: number } = deployLimits,
    private readonly trusts: (author: string) => boolean = () => true
  ) {}

  apply (s: SignedDeployment): ApplyOutcome {
    if (!this.trusts(s.record.author)) return 'untrusted'
    const held = this.byName.get(s.record.name)
    if (held !== undefined && !supersedes(s, held)) return 'stale'
    if (!s.record.deleted && (held === undefined || held.record.deleted) && this.live().length >= this.limits.maxDeployments) return 'full'
    this.byName.set(s.record.name, s)
    if (s.record.deleted) this.pruneTombstones()
    for (const fn of this.listeners) fn(s)
    return 'applied'
  }

  get (name: string): SignedDeployment | undefined { return this.byName.get(name) }

  /** Every record, tombstones included (what is gossiped and persisted). */
  all (): SignedDeployment[] { return [...this.byName.values()] }

  /** The records of deployments that are not undeployed, by name. */
  live (): DeploymentRecord[] {
    return [...this.byName.values()].filter(s => !s.record.deleted).map(s => s.record).sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  }

  /** Calls `fn` with every record applied from now on; returns the unsubscribe. */
  watch (fn: (r: SignedDeployment) => void): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  private pruneTombstones (): void {
    const tombs = [...this.byName.values()].filter(s => s.record.deleted)
    if (tombs.length <= this.limits.maxTombstones) return
    tombs.sort((a, b) => a.record.issuedMs - b.record.issuedMs)
    for (const t of tombs.slice(0, tombs.length - this.limits.maxTombstones)) this.byName.delete(t.record.name)
  }
}
