// What a remote peer may do on this node: the rights a policy grants it. The Host each remote connection
// is handed is built from these rights (policy-host.ts); the local API socket is the owner and is not
// subject to a policy.
//
// Where each method falls:
//   read  Host.info, Host.metrics, cluster (View: ls, lookup, watch), pubsub (Router), root and local as anchors one may
//         ls, walk, lookup, path and load (bytes and anchors; channel and other capabilities need write,
//         procs need exec), Host.peer of this host itself.
//   write Anchor store, clear and makeChan; loading a channel (Chan, Sender, Recver, Closer) or any other
//         capability stored in this host's tree, so send and recv through it.
//         Endpoints list and send (they hand out and use channel capabilities); Endpoints names needs only read,
//         and publish and unpublish are the owner's alone.
//   exec  Host.executor (Executor spawn, ps, proc; Proc wait, kill, stdio, log); loading a Proc from the tree.
// A peer with all three rights gets the Host as before this policy existed, Host.peer (reaching other hosts
// through this one) included; a peer with fewer cannot reach other hosts through this one.
import { InvalidArgument, PermissionDenied } from '../errors.js'
import { ModuleRules } from './module-rules.js'

export const RIGHTS = ['read', 'write', 'exec'] as const
export type Right = typeof RIGHTS[number]
export type Rights = ReadonlySet<Right>

/** The name that grants to every remote peer without a grant of its own. */
export const MEMBERS = 'members'

export const ALL_RIGHTS: Rights = new Set(RIGHTS)
export const READ_ONLY: Rights = new Set<Right>(['read'])

/**
 * Rights per peer ID, and for every other remote peer (members); the same for the modules they may run
 * (module-rules.ts). A peer's own grant, or own module rules, replaces the members' one.
 */
export class Policy {
  constructor (
    readonly members: Rights,
    readonly peers: ReadonlyMap<string, Rights> = new Map(),
    readonly memberModules: ModuleRules = ModuleRules.ANY,
    readonly peerModules: ReadonlyMap<string, ModuleRules> = new Map()
  ) {}

  /** The default: with a swarm key the members are trusted with everything, without one they may only read. */
  static defaults (privateCluster: boolean): Policy {
    return new Policy(privateCluster ? ALL_RIGHTS : READ_ONLY)
  }

  rightsOf (peer: string): Rights {
    return this.peers.get(peer) ?? this.members
  }

  /** The modules `peer` may run here, on its own behalf and through its procs' spawns. */
  modulesOf (peer: string): ModuleRules {
    return this.peerModules.get(peer) ?? this.memberModules
  }

  /** This policy with `rules` (name -> module rules, MEMBERS for the members) replacing its entries. */
  withModules (rules: ReadonlyMap<string, ModuleRules>): Policy {
    const peers = new Map(this.peerModules)
    let members = this.memberModules
    for (const [name, r] of rules) {
      if (name === MEMBERS) members = r
      else peers.set(name, r)
    }
    return new Policy(this.members, this.peers, members, peers)
  }

  /** This policy with `grants` (name -> rights, MEMBERS for the members) replacing its entries. */
  with (grants: ReadonlyMap<string, Rights>): Policy {
    const peers = new Map(this.peers)
    let members = this.members
    for (const [name, rights] of grants) {
      if (name === MEMBERS) members = rights
      else peers.set(name, rights)
    }
    return new Policy(members, peers, this.memberModules, this.peerModules)
  }
}

/** Parses "read,write" (an empty string or "none" for no rights). */
export function parseRights (text: string, where: string): Rights {
  const rights = new Set<Right>()
  if (text.trim() === '' || text.trim() === 'none') return rights
  for (const word of text.split(',').map(w => w.trim())) {
    if (!(RIGHTS as readonly string[]).includes(word)) {
      throw new InvalidArgument(`${where}: unknown right ${JSON.stringify(word)}: the rights are ${RIGHTS.join(', ')}`)
    }
    rights.add(word as Right)
  }
  return rights
}

/** Parses a `--grant PEER=RIGHTS` flag (PEER may be "members"). */
export function parseGrant (flag: string): [string, Rights] {
  const eq = flag.indexOf('=')
  if (eq <= 0) throw new InvalidArgument(`--grant takes PEER=RIGHTS (e.g. ${MEMBERS}=read,exec), got ${JSON.stringify(flag)}`)
  return [flag.slice(0, eq), parseRights(flag.slice(eq + 1), `--grant ${flag}`)]
}

export function formatRights (rights: Rights): string {
  return rights.size === 0 ? 'none' : RIGHTS.filter(r => rights.has(r)).join(',')
}

/** The error for a call beyond a peer's rights. */
export function lacks (peer: string, right: Right, what: string): PermissionDenied {
  return new PermissionDenied(`peer ${peer} lacks '${right}' on this host (${what}): the host's owner can grant it in the node's policy`)
}
