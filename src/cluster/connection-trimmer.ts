// Closes the connections membership does not need once they have been idle a while, so a settled host holds O(1)
// connections whatever the cluster's size. Connections accumulate while a cluster forms (the bootstrap peer's, a
// random member's picked for gossip, kad-dht's queries), and each one costs every protocol's upkeep (the connection
// monitor's pings, yamux keep-alives, gossipsub's heartbeats): an idle node's cost grew with the cluster.
//
// A connection is closed when it is older than `graceMs`, no SWIM message went either way within it (a member picked
// for gossip while changes spread stays connected until they are over; nothing is in flight when it closes), its
// peer is not one this host keeps (`keep`: its ring neighbours, ring.ts, peers sharing a pubsub topic, hosts still
// joining), and every stream on it belongs to the cluster's own protocols (SWIM, table sync, identify, ping, kad-dht,
// gossipsub): a connection carrying anything else (a host's RPC session) is in use. A second connection to a peer
// still wanted is closed the same way by the side with the lower peer ID (both closing their newer one at once might
// close both).
//
// libp2p redials a peer tagged KEEP_ALIVE as soon as its connection closes (whichever side closed it), and kad-dht
// tags the 20 peers closest to this one so: a full mesh up to 21 hosts, kept whatever membership wants. This node
// decides which connections live, so those tags are taken off as soon as they are put on.
import { KEEP_ALIVE, type Connection, type PeerUpdate } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import type { ConnectionTrimmerComponents } from './components.js'

const log = logger('ww:cluster:trim')

export interface ConnectionTrimmerOptions {
  /** Is a connection to `peer` wanted for good? */
  keep: (peer: string) => boolean
  /** Protocols a connection may carry and still count as idle. */
  idleProtocols: (protocol: string) => boolean
  /** When the peer was last sent or sent a message that matters (SWIM's), if lately. */
  lastActive: (peer: string) => number | undefined
  /** A connection younger than this, or to a peer active within this, is never closed. */
  graceMs: number
  /** How often connections are looked over. */
  intervalMs: number
}

export class ConnectionTrimmer {
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Connections closed so far. */
  closed = 0

  private readonly self: string

  constructor (private readonly components: ConnectionTrimmerComponents, private readonly o: ConnectionTrimmerOptions) {
    this.self = components.peerId.toString()
  }

  start (): void {
    if (this.timer !== undefined) return
    this.components.events.addEventListener('peer:update', this.onPeerUpdate)
    this.schedule()
  }

  stop (): void {
    this.components.events.removeEventListener('peer:update', this.onPeerUpdate)
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private readonly onPeerUpdate = (evt: CustomEvent<PeerUpdate>): void => {
    const { peer } = evt.detail
    const tags: Record<string, undefined> = {}
    for (const name of peer.tags.keys()) if (name.startsWith(KEEP_ALIVE)) tags[name] = undefined
    if (Object.keys(tags).length === 0) return
    this.components.peerStore.merge(peer.id, { tags }).catch(err => { log('keep-alive tag of %p kept: %s', peer.id, (err as Error).message) })
  }

  private schedule (): void {
    this.timer = setTimeout(() => {
      this.trim()
      this.schedule()
    }, this.o.intervalMs * (0.75 + Math.random() / 2))
    this.timer.unref?.()
  }

  /** Closes the idle connections not wanted now; returns how many. */
  trim (now: number = Date.now()): number {
    const byPeer = new Map<string, Connection[]>()
    for (const c of this.components.connectionManager.getConnections()) {
      if (c.status !== 'open') continue
      const peer = c.remotePeer.toString()
      const list = byPeer.get(peer)
      if (list === undefined) byPeer.set(peer, [c])
      else list.push(c)
    }
    const closing: Array<{ peer: string, all: boolean, c: Connection }> = []
    for (const [peer, conns] of byPeer) {
      conns.sort((a, b) => a.timeline.open - b.timeline.open)
      const keep = this.o.keep(peer)
      const active = this.o.lastActive(peer)
      const idle = active === undefined || now - active >= this.o.graceMs
      conns.forEach((c, i) => {
        const wanted = keep || !idle
        if (wanted && (i === 0 || this.self > peer)) return
        if (now - c.timeline.open < this.o.graceMs) return
        if (!c.streams.every(s => this.o.idleProtocols(s.protocol ?? ''))) return
        closing.push({ peer, c, all: !wanted })
      })
    }
    for (const { peer, c, all } of closing) {
      log('closing %s connection to %s', all ? 'an idle' : 'a second', peer)
      c.close().catch(err => { c.abort(err) })
    }
    this.closed += closing.length
    return closing.length
  }

}
