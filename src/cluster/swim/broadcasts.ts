// Dissemination: the changes this host hands on (records, suspect and dead claims), piggybacked on every probe
// message and on gossip messages. Each is sent at most `limit` times (λ·log10(N+1), as memberlist), the least-sent
// first; a newer change about a host replaces the one queued about it. Nothing queued, nothing to gossip: a
// cluster that does not change sends only probes.
import { updateBytes, type Update } from './wire.js'

interface Queued { update: Update, sent: number, order: number }

export class Broadcasts {
  private readonly queue = new Map<string, Queued>()
  private order = 0

  get size (): number { return this.queue.size }

  /** Queues `update` about `peer`, replacing what was queued about it. */
  add (peer: string, update: Update): void {
    this.queue.set(peer, { update, sent: 0, order: this.order++ })
  }

  /** Forgets what was queued about `peer`. */
  drop (peer: string): void { this.queue.delete(peer) }

  /**
   * Updates to piggyback, within `budget` bytes, least-sent (then newest) first; each counts as sent once, and one
   * sent `limit` times leaves the queue. `first`, the peer the message goes to: claims about it go first, its own
   * record not at all.
   */
  take (budget: number, limit: number, first?: string): Update[] {
    if (this.queue.size === 0) return []
    const items = [...this.queue.entries()].sort(([pa, a], [pb, b]) =>
      (pb === first ? 1 : 0) - (pa === first ? 1 : 0) || a.sent - b.sent || b.order - a.order)
    const out: Update[] = []
    let left = budget
    for (const [peer, q] of items) {
      // A host's own record is no news to it (only it signs them): it hears only claims about itself.
      if (peer === first && q.update.type === 'alive') continue
      const size = updateBytes(q.update)
      // One change larger than the budget still goes, alone.
      if (size > left && out.length > 0) continue
      left -= size
      out.push(q.update)
      if (++q.sent >= limit) this.queue.delete(peer)
      if (out.length >= 255) break
    }
    return out
  }
}
