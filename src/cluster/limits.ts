// Every limit and default of the cluster layer, in one place.

export const clusterLimits = {
  /** Namespace used when none is given. */
  defaultNamespace: 'ww',
  /**
   * The failure-detection bound when none is given (`ww start --ttl`): a host that stops answering probes is removed
   * everywhere within it (swim/params.ts derives the probe interval and the suspicion timeouts from it).
   */
  defaultTtlMs: 10_000,
  /** Smallest and largest TTL a heartbeat may carry (others are clamped into this range). */
  minTtlMs: 100,
  maxTtlMs: 3_600_000,
  /**
   * Clocks may differ by this much. A heartbeat lives at most until its signed issue time + TTL + this, however
   * young the host handing it on says it is, and one issued further than this in the future is refused.
   */
  maxClockSkewMs: 30_000,
  /** A private cluster's connection fails if the peer's nonce has not come this soon (when the upgrader set no deadline). */
  nonceExchangeTimeoutMs: 1_000,
  /**
   * SWIM: probes per TTL (the probe interval is TTL / this, within [min, max]): 1 s at the default TTL, memberlist's
   * interval. Each probe is a ping and an ack on each side; TTL/20 cost twice the messages for a kill seen ~1 s sooner.
   */
  probesPerTtl: 10,
  minProbeIntervalMs: 20,
  maxProbeIntervalMs: 5_000,
  /**
   * SWIM over libp2p: probes and gossip go to this host's ring neighbours (ringNeighboursPerSide), then to the other
   * members it is connected to (at most maxNearPeers remembered); one probe in probeAnyEvery goes to a member only a
   * non-member vouched for, which may cost a new connection.
   */
  maxNearPeers: 16,
  probeAnyEvery: 10,
  /**
   * Connections a settled host keeps: to its ring neighbours (members ordered by peer ID, this many on each side,
   * ring.ts), and to peers it shares a user pubsub topic with (by gossipsub or their record, maxAdvertisedTopics; the
   * namespace's internal topics do not count). Others are closed once older than idleConnectionGraceMs and
   * carrying only the cluster's own protocols (connection-trimmer.ts), looked over every trimIntervalMs: each
   * connection costs its upkeep (pings, keep-alives, heartbeats), which made an idle host's cost grow with the cluster.
   */
  ringNeighboursPerSide: 2,
  /**
   * The ring is recomputed once the member list has not changed for ringSettleMs, and at least every ringMaxStaleMs
   * while it keeps changing (the first ring at once). While hosts join, each join moved some hosts' neighbours, and each
   * new neighbour cost a connection (a noise handshake on both sides) that was closed again later: at 20 hosts joining
   * at once, ~12 connections per host where the ring keeps 4.
   */
  ringSettleMs: 1_500,
  ringMaxStaleMs: 5_000,
  idleConnectionGraceMs: 20_000,
  trimIntervalMs: 10_000,
  /** SWIM: members asked to ping one that did not answer a direct ping. */
  indirectProbes: 3,
  /** SWIM (Lifeguard): confirmations by other members that bring a suspicion's timeout from TTL/2 down to TTL/10. */
  suspicionConfirmations: 3,
  /**
   * SWIM: a suspicion lasts at least this long (at most TTL/2), however many confirm it: the time a suspected host
   * has to hear of it and refute, across a busy machine's event loop and a new connection's handshake.
   */
  minSuspicionMs: 1_000,
  /** SWIM: queued changes are gossiped to this many random members every gossipIntervalMs (at most the probe interval). */
  gossipIntervalMs: 200,
  gossipFanout: 3,
  /** SWIM: each change is sent this many times log10(N+1) by each host that hands it on. */
  retransmitMult: 4,
  /** SWIM: bytes of changes piggybacked on one message (one larger change still goes alone). */
  piggybackBytes: 1_400,
  /** A SWIM message larger than this is rejected. */
  maxSwimMessageBytes: 64 * 1024,
  /**
   * SWIM (Lifeguard): the local health multiplier's maximum, and where it starts: a host starting up is busy
   * (handshakes, table syncs), so it probes slowly and waits long until its probes succeed.
   */
  maxLocalHealth: 8,
  initialLocalHealth: 4,
  /**
   * SWIM: every 3 TTLs, within [min, max], one member removed by suspicion (remembered as long as its record could
   * live) is told so, and refutes if it is alive: two halves of a partition find each other again.
   */
  minReconnectIntervalMs: 1_000,
  reconnectIntervalMs: 30_000,
  /**
   * How many members a graceful leave is sent to at once (ring neighbours first, besides every connected peer). A
   * settled host is connected to its ring neighbours only, so the others cost the leaving host a handshake each within
   * its last second (16 did worse than 6 on a loaded machine: dials cut short by the stop); each host the leave reaches
   * gossips it on at once (swim.ts, urgent changes).
   */
  leaveFanout: 6,
  /**
   * A host signs its record anew this often even when nothing changed, and a record lives at most its signed issue
   * time + recordLifetimeMs + maxClockSkewMs: an old record replayed cannot bring a host back after that. The new
   * record spreads by table sync (push-pull), which reaches every host well within the lifetime.
   */
  recordRefreshMs: 3_600_000,
  recordLifetimeMs: 4 * 3_600_000,
  /** How long opening a SWIM stream may take, and how long one may stay undrained, before its messages count as lost. */
  swimSendTimeoutMs: 5_000,
  /** SWIM streams kept open to peers (one each); past it the least recently used is closed. */
  maxSwimStreams: 64,
  /** A heartbeat larger than this on the wire is rejected (a usual one is a few hundred bytes). */
  maxHeartbeatBytes: 8 * 1024,
  /** Entries and sizes inside a heartbeat. */
  maxMetaEntries: 64,
  maxMetaEntryBytes: 256,
  maxAddrs: 32,
  maxAddrBytes: 256,
  maxHostnameBytes: 255,
  /**
   * Endpoints (named channels that procs publish): the names one host may serve at once, and a name's length. The
   * names ride in the host's signed record, so these bound what every record may add (64 × 64 bytes, within
   * maxHeartbeatBytes); a name is letters, digits, '.', '_' and '-'.
   */
  maxEndpointNames: 64,
  maxEndpointNameBytes: 64,
  /**
   * User pubsub topics a host advertises in its signed record, each as a hash of topicHashBytes (topic-hash.ts):
   * hosts sharing a topic keep a connection to each other, which gossipsub needs to forward its messages. A host
   * subscribed to more advertises the first maxAdvertisedTopics hashes in sorted order; its other topics reach it
   * only over connections kept for another reason.
   */
  maxAdvertisedTopics: 64,
  /** A topic this host left stays in its record this long, so a subscriber that comes back at once costs no record. */
  topicLingerMs: 2_000,
  /** 8: a hash is a capnp UInt64 in the record. */
  topicHashBytes: 8,
  /**
   * Hosts a routing table tracks at most. When it is full, a host heard directly (on gossip, or from itself in a
   * table sync) pushes out one that another peer vouched for; records vouched for are refused.
   */
  maxHosts: 10_000,
  /**
   * Hosts one peer may vouch for: records handed over by table sync whose author is not that peer (nor connected
   * to us) join the table only while fewer than this many hosts it vouched for are listed and not yet heard directly.
   * Such records are not handed on to others until heard directly, so a flood of fakes neither grows without bound nor spreads.
   */
  maxVouchedPerPeer: 1_024,
  /** Signatures checked per table sync exchange for records of hosts new to us that the peer vouches for; the rest are skipped. */
  maxVouchedChecksPerSync: 1_024,
  /** Heartbeat authors (peer ID and verifying key) kept parsed for table sync. */
  authorCacheSize: 1_024,
  /** Ed25519 verifying keys kept ready for gossipsub and noise signature checks (ed25519-verify.ts). */
  verifyKeyCacheSize: 1_024,
  /** Old instance IDs remembered per peer, so a late heartbeat of a previous boot is ignored. */
  retiredInstancesPerPeer: 4,
  /** A table sync exchange with a newly connected peer gives up after this long. */
  syncTimeoutMs: 10_000,
  /**
   * Anti-entropy (SWIM's push-pull): a table exchange with a random peer this soon after a join, then at doubling
   * intervals up to the max, which grows with the cluster (×(1 + ceil(log2(N / syncScaleHosts))) above syncScaleHosts hosts).
   */
  syncRoundMinMs: 250,
  syncRoundMaxMs: 30_000,
  syncScaleHosts: 32,
  /**
   * Keep the short interval this long after the last join before backing off (two rounds; at 3 s, twelve rounds out
   * and about as many in were a fifth of a node's CPU in the first 30 s after a 20-node cluster formed).
   */
  syncSettleMs: 500,
  /**
   * Until this long after the last join, a round that found the two tables differing (records went either way, or
   * the peer's digest names hosts this one lacks) is followed by another short one. A host that missed the last
   * joins' gossip hears of no join, and its peers may hold those hosts only vouched for (not handed on): it keeps
   * asking until a peer that hands them on answers, instead of backing off.
   */
  syncRepairMs: 5_000,
  /** How long stop() waits for the leaving heartbeat to go out. */
  leaveTimeoutMs: 1_000,
  /**
   * Dial a member heard of by heartbeat while we are connected to fewer peers than this. Membership needs only one
   * connection (table sync and gossip do the rest); these few links keep the overlay whole if a peer goes away.
   * Each connection costs a noise handshake and identify (~13-32 ms of CPU), so a large value slows start-up.
   */
  maxMemberDials: 4,
  /**
   * Connections beyond maxMemberDials a host dials to reach hosts whose record lists a user topic it subscribes to
   * (maxAdvertisedTopics): gossipsub forwards a topic's messages only over connections to its subscribers.
   */
  maxTopicPeerDials: 16,
  /**
   * Member dials wait a random delay in [min, max): they only add redundancy (joining needs one connection), so they
   * wait until the start-up burst of handshakes and table syncs is over, and a cluster starting at once is not a dial storm.
   */
  memberDialDelayMinMs: 3_000,
  memberDialDelayMaxMs: 6_000,
  /**
   * kad-dht serves queries from the start (its table fills with the peers that connect). Its self-query and its
   * table refresh each dial the closest peers they know, every host of a cluster of up to ~20 hosts, whose
   * connections the trimmer then closes again (dht-upkeep.ts): kad's own 5 minutes cost each idle host ~9 handshakes
   * every 5 minutes. Both run this often instead (the first self-query after this times [1, 1.5)).
   */
  dhtSelfQueryDelayMs: 3_600_000,
  dhtUpkeepIntervalMs: 3_600_000,
  /**
   * libp2p's connection monitor opens a stream on every connection this often to ping it, and aborts the connection
   * when no answer comes within the timeout (adaptive, never below the minimum). Each ping is a stream negotiation
   * on each side, per connection: libp2p's 10 s and 5 s made an idle node's cost grow with its connections, and on a
   * loaded machine aborted live connections that were then dialed again. Liveness of hosts is membership's business
   * (TTL); this only finds dead connections.
   */
  connectionPingIntervalMs: 60_000,
  connectionPingTimeoutMinMs: 20_000,
  /**
   * Yamux pings each connection at its start (to learn the round-trip time its flow-control windows grow by) and then
   * every this long (the package's default: 30 s). The pings find no dead connection (the connection monitor does,
   * above): at 30 s they were a frame and its answer per connection every 15 s on average, as much as the probes.
   */
  yamuxKeepAliveMs: 300_000,
  /** Bootstrap dials are retried with exponential backoff between these delays until one succeeds. */
  bootstrapRetryMinMs: 250,
  bootstrapRetryMaxMs: 30_000,
  /** The same notice about one peer or address (a refused connection, a failing bootstrap dial) is repeated at most this often. */
  noticeRepeatMs: 600_000,
  /** mDNS query interval. */
  mdnsIntervalMs: 1_000,
  /** Pubsub: messages waiting for a slow subscriber before the oldest is dropped. */
  defaultSubscriberBuffer: 32,
  maxSubscriberBuffer: 65_536,
  /** Pubsub: topic name and message sizes. */
  maxTopicNameBytes: 256,
  maxPubsubMessageBytes: 1024 * 1024
} as const
