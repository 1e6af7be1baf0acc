// The policy in force, and the peers' RPC connections served under it. Each connection's Host is built from the
// policy when the connection opens (trust by construction), so a new policy (ww start reads its file again on
// SIGHUP) closes the connections of the peers it treats differently: their next call opens a connection whose
// Host is built from the new one. Procs those peers already started keep running with the rights they had.
import type { Connection } from '../rpc/index.js'
import type { Policy } from './policy.js'

export class LivePolicy {
  private readonly conns = new Map<string, Set<Connection>>()

  constructor (private current: Policy) {}

  get policy (): Policy { return this.current }

  rightsOf (peer: string): ReturnType<Policy['rightsOf']> { return this.current.rightsOf(peer) }

  modulesOf (peer: string): ReturnType<Policy['modulesOf']> { return this.current.modulesOf(peer) }

  /** Counts `conn` as served to `peer` under the policy in force, until it closes. */
  track (peer: string, conn: Connection): void {
    let set = this.conns.get(peer)
    if (set === undefined) this.conns.set(peer, set = new Set())
    set.add(conn)
    void conn.closed.then(() => {
      set.delete(conn)
      if (set.size === 0 && this.conns.get(peer) === set) this.conns.delete(peer)
    })
  }

  /** Puts `next` in force and closes the connections of the peers whose rights or module rules it changes; returns those peers. */
  replace (next: Policy): string[] {
    const before = this.current
    this.current = next
    const changed = [...this.conns.keys()].filter(peer => !sameFor(before, next, peer))
    for (const peer of changed) {
      for (const conn of this.conns.get(peer) ?? []) conn.close('the policy of this host changed: connect again')
    }
    return changed
  }
}

function sameFor (a: Policy, b: Policy, peer: string): boolean {
  const ma = a.modulesOf(peer)
  const mb = b.modulesOf(peer)
  return sameSet(a.rightsOf(peer), b.rightsOf(peer)) && sameSet(ma.hashes, mb.hashes) && sameSet(ma.signers, mb.signers)
}

/** Two sets with the same members; undefined (a list not used) only matches undefined. */
function sameSet<T> (a: ReadonlySet<T> | undefined, b: ReadonlySet<T> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.size === b.size && [...a].every(x => b.has(x))
}
