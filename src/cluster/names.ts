// Names on the wire, all prefixed by the cluster namespace so clusters never mix.
import { InvalidArgument } from '../errors.js'
import { clusterLimits } from './limits.js'

const namespacePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/

/** Returns the namespace if it is valid (letters, digits, '_' and '-', 1..48 chars), else throws InvalidArgument. */
export function checkNamespace (ns: string): string {
  if (!namespacePattern.test(ns)) {
    throw new InvalidArgument(`bad namespace ${JSON.stringify(ns)}: use 1-48 letters, digits, '_' or '-', starting with a letter or digit`)
  }
  return ns
}

/** The topic named in signed membership records (they are signed as pubsub messages of it, signed-heartbeat.ts). */
export function clusterTopic (ns: string): string {
  return `/ww/${checkNamespace(ns)}/cluster`
}

/** The gossipsub topic behind a user topic name. */
export function userTopic (ns: string, name: string): string {
  checkTopicName(name)
  return `/ww/${checkNamespace(ns)}/topic/${name}`
}

/** The user topic name behind a gossipsub topic, or undefined if it is not one of this namespace's user topics. */
export function userTopicName (ns: string, wireTopic: string): string | undefined {
  const prefix = `/ww/${ns}/topic/`
  return wireTopic.startsWith(prefix) ? wireTopic.slice(prefix.length) : undefined
}

/** Topic names are 1..maxTopicNameBytes printable ASCII characters. */
export function checkTopicName (name: string): string {
  if (name.length === 0 || name.length > clusterLimits.maxTopicNameBytes || !/^[\x21-\x7e]+$/.test(name)) {
    throw new InvalidArgument(`bad topic name ${JSON.stringify(name)}: use 1-${clusterLimits.maxTopicNameBytes} printable ASCII characters without spaces`)
  }
  return name
}

/** The kad-dht protocol of a namespace, keeping its DHT apart from the public one. */
export function kadProtocol (ns: string): string {
  return `/ww/${checkNamespace(ns)}/kad/1.0.0`
}

/** The protocol two connected peers exchange their routing tables on (table-sync.ts). */
export function syncProtocol (ns: string): string {
  return `/ww/${checkNamespace(ns)}/cluster-sync/1.0.0`
}

/** Anti-entropy rounds of table sync: digests first, then only the records the other side lacks (table-sync.ts). */
export function digestSyncProtocol (ns: string): string {
  return `/ww/${checkNamespace(ns)}/cluster-sync/2.0.0`
}

/** The protocol SWIM's probes and gossip travel on (swim-transport.ts). */
export function swimProtocol (ns: string): string {
  return `/ww/${checkNamespace(ns)}/swim/1.0.0`
}

/** Version of the Cap'n Proto RPC protocol served over libp2p. */
export const rpcVersion = '0.1.0'

/** The libp2p protocol the host layer serves Cap'n Proto RPC on. */
export function rpcProtocol (ns: string, version: string = rpcVersion): string {
  return `/ww/${checkNamespace(ns)}/rpc/${version}`
}

/** mDNS service tag, so only nodes of the same namespace answer each other. */
export function mdnsServiceTag (ns: string): string {
  return `_ww-${checkNamespace(ns).toLowerCase().replace(/_/g, '-')}._udp.local`
}

/** The gossipsub topic deployment records spread on (deployments/gossip.ts). */
export function deploymentsTopic (ns: string): string {
  return `/ww/${checkNamespace(ns)}/deployments`
}

/** The protocol two connected peers exchange deployment records on (deployments/gossip.ts). */
export function deploySyncProtocol (ns: string): string {
  return `/ww/${checkNamespace(ns)}/deploy-sync/1.0.0`
}
