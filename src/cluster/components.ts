// The parts of the libp2p node the cluster's modules use, in js-libp2p's `Components` style: each module declares
// the few parts it takes (BootstrapperComponents, ...) and cannot reach the rest of the node. node.ts makes the whole
// set from the libp2p node it starts (clusterComponents) and hands each module its own; src/host takes what it uses
// from ClusterNode.components the same way. Each part is a few of the node's own methods, bound to it: a module
// handed one cannot reach the node's other methods and services.
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p, PeerId, PeerStore } from '@libp2p/interface'

/** Open connections, and dials. */
export type ConnectionManager = Pick<Libp2p, 'getConnections' | 'getPeers' | 'dial' | 'dialProtocol'>
/** Handlers of inbound protocol streams. */
export type Registrar = Pick<Libp2p, 'handle' | 'unhandle'>
/** The node's events: connection:open and :close, peer:update, peer:identify, self:peer:update. */
export type NodeEvents = Pick<Libp2p, 'addEventListener' | 'removeEventListener'>
/** The node's own listen addresses (with /p2p/<peer ID>). */
export type AddressManager = Pick<Libp2p, 'getMultiaddrs'>

export interface ClusterComponents {
  peerId: PeerId
  connectionManager: ConnectionManager
  registrar: Registrar
  events: NodeEvents
  peerStore: PeerStore
  addressManager: AddressManager
  pubsub: GossipSub
}

export type BootstrapperComponents = Pick<ClusterComponents, 'connectionManager' | 'events'>
export type ConnectionTrimmerComponents = Pick<ClusterComponents, 'peerId' | 'connectionManager' | 'events' | 'peerStore'>
export type MemberDialerComponents = Pick<ClusterComponents, 'peerId' | 'connectionManager'>
export type SwimTransportComponents = Pick<ClusterComponents, 'connectionManager' | 'registrar'>
export type TableSyncComponents = Pick<ClusterComponents, 'connectionManager' | 'registrar' | 'events'>
export type DeploymentGossipComponents = Pick<ClusterComponents, 'connectionManager' | 'registrar' | 'events' | 'pubsub'>

/** The components of a libp2p node running gossipsub as its `pubsub` service. */
export function clusterComponents (libp2p: Libp2p<{ pubsub: GossipSub }>): ClusterComponents {
  return {
    peerId: libp2p.peerId,
    connectionManager: only(libp2p, ['getConnections', 'getPeers', 'dial', 'dialProtocol']),
    registrar: only(libp2p, ['handle', 'unhandle']),
    events: only(libp2p, ['addEventListener', 'removeEventListener']),
    peerStore: libp2p.peerStore,
    addressManager: only(libp2p, ['getMultiaddrs']),
    pubsub: libp2p.services.pubsub
  }
}

/** An object with only `methods` of `target`, bound to it. */
function only<T extends object, K extends keyof T> (target: T, methods: K[]): Pick<T, K> {
  const part: Partial<Pick<T, K>> = {}
  for (const m of methods) part[m] = (target[m] as (...args: unknown[]) => unknown).bind(target) as T[K]
  return part as Pick<T, K>
}
