// Every limit and default of the cluster layer, in one place.

export const clusterLimits = {
  /** Namespace used when none is given. */
  defaultNamespace: 'ww',
  /** Heartbeat TTL when none is given; a heartbeat is published every [TTL/2, TTL). */
  defaultTtlMs: 10_000,
  /** Smallest and largest TTL a heartbeat may carry (others are clamped into this range). */
  minTtlMs: 100,
  maxTtlMs: 3_600_000,
  /** A heartbeat larger than this on the wire is rejected. */
  maxHeartbeatBytes: 16 * 1024,
  /** Entries and sizes inside a heartbeat. */
  maxMetaEntries: 64,
  maxMetaEntryBytes: 256,
  maxAddrs: 32,
  maxAddrBytes: 256,
  maxHostnameBytes: 255,
  /** Hosts a routing table tracks at most; heartbeats from further new peers are ignored. */
  maxHosts: 10_000,
  /** Old instance IDs remembered per peer, so a late heartbeat of a previous boot is ignored. */
  retiredInstancesPerPeer: 4,
  /** After a join or a new peer on the cluster topic, republish our heartbeat this soon (debounced). */
  nudgeDelayMs: 50,
  /** How long stop() waits for the leaving heartbeat to go out. */
  leaveTimeoutMs: 1_000,
  /** Dial a member heard of by heartbeat while we have fewer connections than this. */
  maxMemberDials: 32,
  /** Bootstrap dials are retried with exponential backoff between these delays until one succeeds. */
  bootstrapRetryMinMs: 250,
  bootstrapRetryMaxMs: 30_000,
  /** mDNS query interval. */
  mdnsIntervalMs: 1_000,
  /** Pubsub: messages waiting for a slow subscriber before the oldest is dropped. */
  defaultSubscriberBuffer: 32,
  maxSubscriberBuffer: 65_536,
  /** Pubsub: topic name and message sizes. */
  maxTopicNameBytes: 256,
  maxPubsubMessageBytes: 1024 * 1024
} as const
