// The cluster layer: libp2p node, identity, SWIM membership over signed records, routing table, pubsub.
export { ClusterNode, type ClusterNodeOptions, type ClusterLibp2p } from './node.js'
export {
  clusterComponents, type ClusterComponents, type ConnectionManager, type Registrar, type NodeEvents, type AddressManager,
  type BootstrapperComponents, type ConnectionTrimmerComponents, type MemberDialerComponents, type SwimTransportComponents,
  type TableSyncComponents, type DeploymentGossipComponents
} from './components.js'
export { loadOrCreateIdentity, identityFileName } from './identity.js'
export { HeartbeatCodec, effectiveTtlMs, type Heartbeat, type HeartbeatReader, type HeartbeatWire, type ListReader } from './heartbeat.js'
export { RoutingTable, type HostRecord, type LeaveHow, type MembershipEvent, type MembershipListener, type Outcome } from './routing-table.js'
export { Membership, type MembershipStats, type SignedRecord } from './membership.js'
export { TableSync } from './table-sync.js'
export { encodeSignedMessage, verifySignedMessage } from './signed-heartbeat.js'
export { PubSub, Topic } from './pubsub.js'
export { Subscription, type Delivery } from './subscription.js'
export { clusterLimits } from './limits.js'
export { batchedNoise } from './batched-noise.js'
export { checkMetaPair, normalizeMeta, metaMatches } from './meta.js'
export { checkEndpointName } from './endpoint-names.js'
export { checkNamespace, clusterTopic, userTopic, kadProtocol, syncProtocol, digestSyncProtocol, swimProtocol, rpcProtocol, rpcVersion, mdnsServiceTag } from './names.js'
export { Swim, type SwimStats, type MemberStore } from './swim/swim.js'
export { swimParams, type SwimParams } from './swim/params.js'
export { SwimTransport } from './swim-transport.js'
export { RecordSigner } from './record-signer.js'
export { NoticeGate, type ClusterNotice, type NoticeListener } from './notices.js'
export { dialFailure } from './dial-failure.js'
export { readSwarmKey, parseSwarmKey, newSwarmKeyText, type SwarmKey } from './swarm-key.js'
export { SwarmKeyMismatch } from './private-network.js'
