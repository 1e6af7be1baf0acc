// What the cluster layer tells its user about the outside world: hosts joining and leaving, peers it cannot
// reach or will not talk to. Typed, so the command line words them (cmd/node-log.ts) and tests can match them.

export type ClusterNotice =
  /** A host joined the cluster (its first heartbeat reached this node). */
  | { type: 'join', peer: string, hostname: string }
  /**
   * A host left the cluster: it said so ('left'), it stopped answering probes and was removed within its TTL ('expired'),
   * or it restarted ('restarted': a new instance replaces the old one, and joins again).
   */
  | { type: 'leave', peer: string, how: 'left' | 'expired' | 'restarted' }
  /** No bootstrap address answered; the node tries them again in `retryMs` (doubling up to a bound). */
  | { type: 'bootstrap-failed', addr: string, reason: string, retryMs: number }
  /** A bootstrap address answered after failing before. */
  | { type: 'bootstrap-reached', addr: string }
  /** A connected peer speaks no protocol of this node's namespace: another namespace (named when known) or not a ww node. */
  | { type: 'foreign-peer', peer: string, namespace?: string }
  /** A connection failed its encryption handshake (a peer that is not who it should be, or not libp2p noise at all). */
  | { type: 'handshake-failed', remote: string, direction: 'inbound' | 'outbound', reason: string }

  /** A connection failed the swarm key check: the peer has no swarm key, or another one (private-network.ts). */
  | { type: 'swarm-key-mismatch', remote: string, direction: 'inbound' | 'outbound' }
  /**
   * What this host's record leaves out changed: endpoint names (and how many topic hashes) that do not fit in
   * maxHeartbeatBytes, so other hosts do not find them here; both empty once everything fits again.
   */
  | { type: 'record-full', endpoints: string[], topics: number }

export type NoticeListener = (notice: ClusterNotice) => void

/** Lets a notice about one key through at most once per `repeatMs`, so a peer that keeps failing is no flood. */
export class NoticeGate {
  private readonly last = new Map<string, number>()

  constructor (private readonly repeatMs: number, private readonly maxKeys = 1024) {}

  pass (key: string, now = Date.now()): boolean {
    const at = this.last.get(key)
    if (at !== undefined && now - at < this.repeatMs) return false
    if (this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value!)
    this.last.delete(key)
    this.last.set(key, now)
    return true
  }

  /** Forgets `key`: its next notice passes (a bootstrap address that answered, then failed again). */
  reset (key: string): void { this.last.delete(key) }
}
