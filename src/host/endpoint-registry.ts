// The endpoints published on this host: named Senders, each owned by a proc (ended with it) or an API client
// (ended when it lets go of its Publication). The set of names goes into this host's signed record.
import { checkEndpointName, clusterLimits } from '../cluster/index.js'
import { LimitExceeded } from '../errors.js'
import type { SenderClient } from '../schema/channel.rpc.js'
import { hostLimits } from './limits.js'
import { revocableSender } from '../caps/revocable-sender.js'

export interface LocalEndpoint {
  readonly name: string
  /** Unique on this host. */
  readonly id: bigint
  /** The proc that published it; 0 for an API client's. */
  readonly pid: number
  /** Unix time in milliseconds it was published. */
  readonly since: number
  /** Forwards to the published one until the endpoint ends, then fails Closed (revocable-sender.ts). */
  readonly sender: SenderClient
  readonly revoke: () => void
}

export class EndpointRegistry {
  private readonly byName = new Map<string, Map<bigint, LocalEndpoint>>()
  private nextId = 1n
  /** Counts every change of the endpoints (not only of the names). */
  version = 0

  /** `onNames` hears the sorted set of names whenever it changes. */
  constructor (private readonly onNames: (names: string[]) => void) {}

  /**
   * Publishes `sender` (taken over) under `name` for `pid` (0: an API client). A proc that publishes a name again
   * replaces its earlier endpoint there. InvalidArgument for a bad name; LimitExceeded past the limits.
   */
  publish (name: string, pid: number, sender: SenderClient): LocalEndpoint {
    try {
      checkEndpointName(name)
      let here = this.byName.get(name)
      if (here === undefined && this.byName.size >= clusterLimits.maxEndpointNames) {
        throw new LimitExceeded(`this host already serves ${this.byName.size} endpoint names (maxEndpointNames); unpublish one first`)
      }
      if (pid !== 0) for (const e of here?.values() ?? []) if (e.pid === pid) this.remove(e)
      here = this.byName.get(name)
      if ((here?.size ?? 0) >= hostLimits.maxEndpointsPerName) {
        throw new LimitExceeded(`endpoint ${name} already has ${here!.size} endpoints on this host (maxEndpointsPerName)`)
      }
      const id = this.nextId++
      const { sender: proxy, revoke } = revocableSender(sender, `endpoint ${name} (${pid === 0 ? 'an API client\'s' : `proc ${pid}`})`)
      const entry: LocalEndpoint = { name, id, pid, since: Date.now(), sender: proxy, revoke }
      const isNew = here === undefined
      if (here === undefined) this.byName.set(name, here = new Map())
      here.set(entry.id, entry)
      this.version++
      if (isNew) this.changed()
      return entry
    } catch (err) {
      sender.release()
      throw err
    }
  }

  /** Ends the endpoint `id` of `name`; false when it is not there (any more). */
  unpublish (name: string, id: bigint): boolean {
    const e = this.byName.get(name)?.get(id)
    if (e === undefined) return false
    this.remove(e)
    return true
  }

  /** Ends every endpoint of proc `pid` (it ended). */
  endProc (pid: number): void {
    for (const here of [...this.byName.values()]) for (const e of [...here.values()]) if (e.pid === pid) this.remove(e)
  }

  /** This host's endpoints of `name`, oldest first (borrowed). */
  list (name: string): LocalEndpoint[] {
    return [...this.byName.get(name)?.values() ?? []]
  }

  names (): string[] {
    return [...this.byName.keys()].sort()
  }

  close (): void {
    for (const here of this.byName.values()) {
      for (const e of here.values()) {
        e.revoke()
        e.sender.release()
      }
    }
    this.byName.clear()
  }

  private remove (e: LocalEndpoint): void {
    const here = this.byName.get(e.name)
    if (here?.delete(e.id) !== true) return
    e.revoke()
    e.sender.release()
    this.version++
    if (here.size === 0) {
      this.byName.delete(e.name)
      this.changed()
    }
  }

  private changed (): void {
    this.onNames(this.names())
  }
}
