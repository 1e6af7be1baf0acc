// Dials a few of the members this node hears of (by heartbeat or mDNS), so the overlay stays whole when a peer,
// the bootstrap peer in particular, goes away. Only the lower peer ID dials, so two peers that find each other at
// once do not end up with two connections; dials still in flight count against the limit, so a burst of joins
// does not overshoot it.
import type { PeerInfo } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { MemberDialerComponents } from './components.js'

const log = logger('ww:cluster:dial')

export interface MemberDialerOptions {
  /** Dial while this node is connected to fewer peers than this. */
  maxPeers: number
  /** A member heard of by heartbeat is dialed after a random delay in [minDelayMs, maxDelayMs). */
  minDelayMs: number
  maxDelayMs: number
  /** Is a connection to this member still wanted when its delay is over (default yes)? */
  wanted?: (peer: string) => boolean
}

export class MemberDialer {
  private readonly self: string
  private readonly dialing = new Set<string>()
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private stopped = false

  constructor (private readonly components: MemberDialerComponents, private readonly o: MemberDialerOptions) {
    this.self = components.peerId.toString()
  }

  /**
   * Dials member `peer` (a peer ID) at `addrs` after the random delay, if it is still wanted then. Both are parsed only
   * then: most members heard of are never dialed.
   */
  later (peer: string, addrs: readonly string[], extraPeers = 0): void {
    if (this.stopped || this.o.maxPeers + extraPeers <= 0 || !this.isLower(peer)) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (this.stopped || this.isFull(extraPeers) || !(this.o.wanted?.(peer) ?? true)) return
      const info = peerInfo(peer, addrs)
      if (info !== undefined) this.now(info, extraPeers)
    }, this.o.minDelayMs + Math.random() * (this.o.maxDelayMs - this.o.minDelayMs))
    timer.unref?.()
    this.timers.add(timer)
  }

  /**
   * Dials ring neighbour `peer` (a peer ID) at `addrs` now if this node is the lower peer ID and not connected to it,
   * however many peers it has: the ring's connections are the ones kept (ring.ts).
   */
  neighbour (peer: string, addrs: readonly string[]): void {
    if (this.stopped || !this.isLower(peer)) return
    const info = peerInfo(peer, addrs)
    if (info !== undefined) this.now(info, Infinity)
  }

  /**
   * Dials `peer` now if this node is the lower peer ID and has room for another peer (`extraPeers` beyond maxPeers:
   * a peer sharing a pubsub topic).
   */
  now (peer: PeerInfo, extraPeers = 0): void {
    const remote = peer.id.toString()
    if (this.stopped || !this.isLower(remote) || this.dialing.has(remote)) return
    if (this.components.connectionManager.getConnections(peer.id).length > 0 || this.isFull(extraPeers)) return
    this.dialing.add(remote)
    const target = peer.multiaddrs.length > 0 ? peer.multiaddrs : peer.id
    this.components.connectionManager.dial(target)
      .catch(err => { log('dial %s failed: %s', remote, err.message) })
      .finally(() => { this.dialing.delete(remote) })
  }

  stop (): void {
    this.stopped = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  private isLower (remote: string): boolean {
    return remote !== this.self && this.self < remote
  }

  /** Connected peers and dials in flight together reach the limit. */
  private isFull (extraPeers: number): boolean {
    return this.components.connectionManager.getPeers().length + this.dialing.size >= this.o.maxPeers + extraPeers
  }
}

/** A member's peer ID and address strings, parsed; undefined for a peer ID we cannot parse (nothing to dial). */
function peerInfo (peer: string, addrs: readonly string[]): PeerInfo | undefined {
  try {
    return { id: peerIdFromString(peer), multiaddrs: addrs.flatMap(a => tryAddr(a)) }
  } catch { return undefined }
}

function tryAddr (a: string): Multiaddr[] {
  try { return [multiaddr(a)] } catch { return [] }
}
