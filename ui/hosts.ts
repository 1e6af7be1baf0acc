// The hosts of the cluster as this node sees them, live: View.watch for joins and leaves (asked before the first
// View.ls, so nothing falls between), kept after they leave and shown gone.
import type { HostClient } from '../src/schema/host.rpc.js'
import { View_Watch$Params$Caps, View_Watch$Results$Caps, View_WatcherClient } from '../src/schema/cluster.rpc.js'
import type { HostRecord } from '../src/schema/cluster.js'
import type { SubscriptionClient } from '../src/schema/cluster.rpc.js'
import { uiLimits } from './limits.js'

export interface HostEntry {
  peer: string
  hostname: string
  meta: string[]
  addrs: string[]
  /** When this node last heard from it (Unix ms). */
  lastSeenMs: number
  /** Its record's time to live. */
  ttlMs: number
  self: boolean
  /** When it left (Unix ms, by this page's clock), or undefined while live. */
  goneMs?: number
}

function entryOf (r: HostRecord, self: string): HostEntry {
  return { peer: r.peer, hostname: r.hostname, meta: [...r.meta], addrs: [...r.addrs], lastSeenMs: Number(r.lastSeenMs), ttlMs: r.ttlMs, self: r.peer === self }
}

export class Hosts {
  readonly byPeer = new Map<string, HostEntry>()
  private readonly listeners: Array<() => void> = []
  private subscription?: SubscriptionClient
  self = ''

  onChange (fn: () => void): void { this.listeners.push(fn) }

  private changed (): void { for (const fn of this.listeners) fn() }

  /** Live hosts, this one first, then by peer ID. */
  live (): HostEntry[] { return this.sorted().filter(h => h.goneMs === undefined) }

  /** All hosts shown: the live ones, then the gone ones, each by peer ID (this host first). */
  sorted (): HostEntry[] {
    return [...this.byPeer.values()].sort((a, b) =>
      Number(b.self) - Number(a.self) || Number(a.goneMs !== undefined) - Number(b.goneMs !== undefined) || (a.peer < b.peer ? -1 : 1))
  }

  /** Asks for this host's peer ID, watches joins and leaves, then lists the live hosts: all sent at once (in order). */
  async start (host: HostClient): Promise<void> {
    using info = host.info()
    using cluster = host.cluster()
    const view = cluster.pipeline.view
    const watcher = View_WatcherClient.serve({
      event: (params) => {
        const ev = params.event
        if (ev._isJoin) this.byPeer.set(ev.join.peer, entryOf(ev.join, this.self))
        else {
          const h = this.byPeer.get(ev.leave.peer)
          if (h !== undefined) h.goneMs = Date.now()
        }
        this.changed()
      }
    })
    using watch = view.watch(p => { View_Watch$Params$Caps.watcher.set(p, watcher) })
    watcher.release()
    using ls = view.ls()
    this.self = (await info).info.peer
    for (const h of this.byPeer.values()) h.self = h.peer === this.self
    this.subscription = View_Watch$Results$Caps.subscription.get(await watch).dup()
    for (const r of (await ls).hosts) {
      const prev = this.byPeer.get(r.peer)
      if (prev === undefined || prev.goneMs === undefined) this.byPeer.set(r.peer, entryOf(r, this.self))
    }
    this.changed()
    setInterval(() => { this.forgetOld() }, uiLimits.hostRedrawMs)
  }

  /** Drops hosts gone longer than goneKeepMs. */
  private forgetOld (): void {
    const now = Date.now()
    let dropped = false
    for (const [peer, h] of this.byPeer) {
      if (h.goneMs !== undefined && now - h.goneMs > uiLimits.goneKeepMs) { this.byPeer.delete(peer); dropped = true }
    }
    if (dropped) this.changed()
  }

  /** Records of the live hosts again (their last-seen times move; only joins and leaves are watched). */
  async refresh (host: HostClient): Promise<void> {
    using cluster = host.cluster()
    using ls = cluster.pipeline.view.ls()
    for (const r of (await ls).hosts) {
      const h = this.byPeer.get(r.peer)
      if (h !== undefined && h.goneMs === undefined) Object.assign(h, entryOf(r, this.self))
    }
    this.changed()
  }
}
