// The cluster node: a libp2p host (TCP, noise, yamux, identify, ping, gossipsub, kad-dht, mDNS, bootstrap)
// with membership heartbeats, the routing table and pubsub on top.
import { hostname as osHostname } from 'node:os'
import { batchedNoise } from './batched-noise.js'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import type { RPC } from '@libp2p/gossipsub/message'
import { identify, type Identify } from '@libp2p/identify'
import type { ConnectionGater, PeerDiscovery, PeerId, PeerInfo, PrivateKey } from '@libp2p/interface'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { logger } from '@libp2p/logger'
import { mdns } from '@libp2p/mdns'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { InvalidArgument, Unavailable } from '../errors.js'
import { Bootstrapper } from './bootstrapper.js'
import { componentLogger } from './component-logger.js'
import { clusterComponents, type ClusterComponents } from './components.js'
import { ConnectionTrimmer } from './connection-trimmer.js'
import { dialFailure } from './dial-failure.js'
import { withClusterUpkeep } from './dht-upkeep.js'
import { cacheEd25519VerifyKeys } from './ed25519-verify.js'
import { loadOrCreateIdentity } from './identity.js'
import { HeartbeatCodec, type HeartbeatWire } from './heartbeat.js'
import { skipKnownProtocolMerges } from './known-protocols.js'
import { lazyYamuxWindowUpdates } from './lazy-window-updates.js'
import { MemberDialer } from './member-dialer.js'
import { clusterLimits } from './limits.js'
import { listenFailure, recordingListenFailures } from './listen-failure.js'
import { Membership } from './membership.js'
import { NoticeGate, type NoticeListener } from './notices.js'
import { normalizeMeta } from './meta.js'
import { checkNamespace, clusterTopic, digestSyncProtocol, kadProtocol, mdnsServiceTag, swimProtocol, syncProtocol, userTopicName } from './names.js'
import { PubSub } from './pubsub.js'
import { advertisedTopicHashes } from './topic-hash.js'
import { AdvertisedNames } from './advertised-names.js'
import { RoutingTable, type HostRecord } from './routing-table.js'
import { swarmKeyProtector } from './private-network.js'
import type { SwarmKey } from './swarm-key.js'
import { SwimTransport } from './swim-transport.js'
import { TableSync } from './table-sync.js'

const log = logger('ww:cluster')

export interface ClusterNodeOptions {
  /** The wire format of a host's record content (src/caps/heartbeat.ts heartbeatWire); the cluster checks every limit around it. */
  heartbeatWire: HeartbeatWire
  /** Directory holding the identity key. One of home or privateKey is required. */
  home?: string
  privateKey?: PrivateKey
  /** Cluster namespace (default "ww"). */
  namespace?: string
  /** Listen multiaddrs (default /ip4/0.0.0.0/tcp/0). */
  listen?: string[]
  /** Multiaddrs with /p2p/<peer> to dial at start. */
  bootstrap?: string[]
  /** mDNS discovery on the LAN (default true). */
  mdns?: boolean
  /** "k=v" tags published in the heartbeat. */
  meta?: string[]
  /** Failure-detection bound in milliseconds (default 10 s): a host that stops answering probes is removed within it. */
  ttlMs?: number
  /** Uniform random in [0, 1) for SWIM's choices of members and jitter (default Math.random). */
  random?: () => number
  /** Hostname published in the heartbeat (default the OS hostname). */
  hostname?: string
  /** Run the kad-dht service (default true). */
  dht?: boolean
  /** Dial members heard of by heartbeat while this node has fewer peers (default clusterLimits.maxMemberDials). */
  maxMemberDials?: number
  /** Allowance for clocks that differ, bounding a heartbeat's life past its signed issue time (default clusterLimits.maxClockSkewMs). */
  maxClockSkewMs?: number
  /** A private cluster's key (swarm-key.ts): every connection is protected with it, and peers without it are refused. */
  swarmKey?: SwarmKey
  /** Told of hosts joining and leaving, and of peers this node cannot reach or will not talk to. */
  onNotice?: NoticeListener
  /** Connections membership does not need are closed once idle this long (default clusterLimits.idleConnectionGraceMs; tests shorten it). */
  idleConnectionGraceMs?: number
  /** Refuse every connection with a peer (by peer ID) for which this says true, while it does: tests cut partitions with it. */
  refusePeer?: (peer: string) => boolean
}

export type ClusterServices = { identify: Identify, ping: Ping, pubsub: GossipSub, dht?: KadDHT }
export type ClusterLibp2p = Libp2p<ClusterServices>

export class ClusterNode {
  readonly peerId: string
  private stopping: Promise<void> | undefined
  /** Which topic hashes the record lists (a topic left lingers topicLingerMs). */
  private advertisedTopics: AdvertisedNames | undefined

  private constructor (
    /** The libp2p node itself, for tests and benchmarks: the cluster's modules and src/host use `components`. */
    readonly libp2p: ClusterLibp2p,
    /** The parts of the node a module may be handed (components.ts). */
    readonly components: ClusterComponents,
    readonly namespace: string,
    readonly table: RoutingTable,
    readonly membership: Membership,
    readonly pubsub: PubSub,
    private readonly dialer: MemberDialer,
    private readonly bootstrapper: Bootstrapper,
    private readonly sync: TableSync,
    readonly swimTransport: SwimTransport,
    private readonly trimmer: ConnectionTrimmer,
    /** This node is in a private cluster (it has a swarm key). */
    readonly privateCluster: boolean
  ) {
    this.peerId = libp2p.peerId.toString()
  }

  static async start (options: ClusterNodeOptions): Promise<ClusterNode> {
    const namespace = checkNamespace(options.namespace ?? clusterLimits.defaultNamespace)
    const ttlMs = options.ttlMs ?? clusterLimits.defaultTtlMs
    if (!Number.isInteger(ttlMs) || ttlMs < clusterLimits.minTtlMs || ttlMs > clusterLimits.maxTtlMs) {
      throw new InvalidArgument(`ttl must be ${clusterLimits.minTtlMs}..${clusterLimits.maxTtlMs} ms, got ${ttlMs}`)
    }
    const meta = normalizeMeta(options.meta ?? [])
    const listen = (options.listen ?? ['/ip4/0.0.0.0/tcp/0']).map(a => parseAddr(a, 'listen'))
    const bootstrapList = (options.bootstrap ?? []).map(a => parseAddr(a, 'bootstrap'))
    for (const a of bootstrapList) {
      if (a.getComponents().every(c => c.name !== 'p2p')) throw new InvalidArgument(`bootstrap address ${a.toString()} lacks /p2p/<peer ID>`)
    }
    let privateKey = options.privateKey
    if (privateKey === undefined) {
      if (options.home === undefined) throw new InvalidArgument('a cluster node needs a home directory or a private key')
      privateKey = await loadOrCreateIdentity(options.home)
    }

    const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
    // Dial what mDNS finds (it does not dial by itself). Only mDNS: kad-dht is a discovery source too, and
    // dialing every peer the DHT mentions makes a connection storm.
    let onMdnsPeer = (_peer: PeerInfo): void => {}
    if (options.mdns ?? true) {
      const factory = mdns({ interval: clusterLimits.mdnsIntervalMs, serviceTag: mdnsServiceTag(namespace) })
      peerDiscovery.push((components: any) => {
        const discovery = factory(components)
        discovery.addEventListener('peer', evt => { onMdnsPeer(evt.detail) })
        return discovery
      })
    }

    const notice = options.onNotice ?? (() => {})
    const once = new NoticeGate(clusterLimits.noticeRepeatMs)
    const onHandshakeFailed = (remote: string, err: Error): void => {
      // Once per remote host (an inbound connection comes from a new port each time).
      if (once.pass(`handshake ${remote.replace(/\/tcp\/\d+.*$/, '')}`)) notice({ type: 'handshake-failed', remote, direction: 'inbound', reason: dialFailure(err, options.swarmKey !== undefined) })
    }
    const onKeyCheckFailed = (remote: string, direction: 'inbound' | 'outbound', peer?: string): void => {
      // Once per peer: by peer ID when we dialed one, else by remote host (inbound connections come from a new port each time).
      if (once.pass(`swarm key ${peer ?? remote.replace(/\/tcp\/\d+.*$/, '')}`)) notice({ type: 'swarm-key-mismatch', remote, direction })
    }
    cacheEd25519VerifyKeys()
    lazyYamuxWindowUpdates()
    const listenFailures = new Map<string, Error>()
    const libp2p = await createLibp2p({
      privateKey,
      logger: componentLogger(),
      addresses: { listen: listen.map(a => a.toString()) },
      transports: [recordingListenFailures(tcp(), listenFailures)],
      ...(options.swarmKey !== undefined ? { connectionProtector: swarmKeyProtector(options.swarmKey, onKeyCheckFailed) } : {}),
      connectionEncrypters: [batchedNoise(undefined, onHandshakeFailed)],
      streamMuxers: [yamux({ keepAliveInterval: clusterLimits.yamuxKeepAliveMs })],
      // Loopback clusters dial many peers on one address: skip the inbound rate limits there.
      connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
      connectionMonitor: { pingInterval: clusterLimits.connectionPingIntervalMs, pingTimeout: { minTimeout: clusterLimits.connectionPingTimeoutMinMs } },
      ...(options.refusePeer !== undefined ? { connectionGater: refusing(options.refusePeer) } : {}),
      peerDiscovery,
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({
          allowPublishToZeroTopicPeers: true,
          // Topic.publish delivers to local subscribers itself: our own messages need not come back.
          emitSelf: false,
          // The same message comes from several mesh peers: a copy of one already accepted (same author and
          // sequence number, gossipsub's own message ID) is dropped before its signature is checked again. Only
          // messages that passed validation enter this cache, so a forged copy cannot shadow the real one.
          fastMsgIdFn: authorAndSeqno,
          // Many nodes on one host share an IP: do not score them down for it.
          scoreParams: { IPColocationFactorWhitelist: new Set(['127.0.0.1']) },
          maxInboundDataLength: clusterLimits.maxPubsubMessageBytes + 64 * 1024
        }),
        ...(options.dht ?? true ? { dht: clusterDHT(namespace) } : {})
      }
    }).catch(err => {
      throw listenFailure(err, listenFailures, listen.map(a => a.toString())) ?? err
    }) as unknown as ClusterLibp2p

    skipKnownProtocolMerges(libp2p.peerStore, libp2p)
    const self = libp2p.peerId.toString()
    const components = clusterComponents(libp2p)
    const table = new RoutingTable({ maxClockSkewMs: options.maxClockSkewMs, lifetimeMs: clusterLimits.recordLifetimeMs })
    const swimTransport = new SwimTransport(components, swimProtocol(namespace), peer => table.lookup(peer)?.addrs ?? table.lastAddrs(peer))
    const membership = new Membership({
      privateKey,
      table,
      topic: clusterTopic(namespace),
      codec: new HeartbeatCodec(options.heartbeatWire),
      ttlMs,
      hostname: options.hostname ?? osHostname(),
      meta,
      addrs: () => libp2p.getMultiaddrs().map(a => a.toString()),
      send: swimTransport.send,
      isConnected: peer => swimTransport.isConnected(peer),
      random: options.random,
      onLeftOut: leftOut => { notice({ type: 'record-full', endpoints: leftOut.endpoints, topics: leftOut.topics.length }) },
      onRingSettled: ring => {
        for (const peer of ring) {
          const record = table.lookup(peer)
          if (record !== undefined) node.dialer.neighbour(peer, record.addrs)
        }
      }
    })
    swimTransport.onMessage = (from, bytes) => { membership.swim.receive(from, bytes) }
    swimTransport.onUnreadable = () => { membership.swim.stats.rejected++ }
    // Does `peer`'s record list a user topic this host subscribes to? Subscribers of a topic stay connected to each other.
    const sharesAdvertisedTopic = (peer: string): boolean => {
      const theirs = table.lookup(peer)?.topics ?? []
      return theirs.length > 0 && membership.advertisedTopics.some(t => theirs.includes(t))
    }
    const dialTopicPeer = (record: HostRecord): void => {
      if (record.peer !== self && sharesAdvertisedTopic(record.peer)) node.dialer.later(record.peer, record.addrs, clusterLimits.maxTopicPeerDials)
    }
    const node = new ClusterNode(libp2p, components, namespace, table, membership, new PubSub(components.pubsub, namespace, self),
      new MemberDialer(components, {
        maxPeers: options.maxMemberDials ?? clusterLimits.maxMemberDials,
        minDelayMs: clusterLimits.memberDialDelayMinMs,
        maxDelayMs: clusterLimits.memberDialDelayMaxMs,
        // Another member's connection would only be closed again once idle (connection-trimmer.ts).
        wanted: peer => membership.isNeighbour(peer) || sharesAdvertisedTopic(peer)
      }),
      new Bootstrapper(components, bootstrapList, notice, options.swarmKey !== undefined),
      new TableSync(components, syncProtocol(namespace), membership, table, digestSyncProtocol(namespace)),
      swimTransport,
      new ConnectionTrimmer(components, {
        // A peer not listed may be a host still joining over this connection (its table sync not done yet on a
        // loaded machine): closing it would cut the newcomer off. One removed by suspicion is not kept.
        keep: peer => membership.isNeighbour(peer) || sharesTopic(components.pubsub, namespace, peer) || sharesAdvertisedTopic(peer) ||
          (table.lookup(peer) === undefined && table.removedAt(peer) === undefined),
        idleProtocols: clusterProtocol(namespace),
        lastActive: peer => swimTransport.lastActive(peer),
        graceMs: options.idleConnectionGraceMs ?? clusterLimits.idleConnectionGraceMs,
        intervalMs: Math.min(clusterLimits.trimIntervalMs, (options.idleConnectionGraceMs ?? clusterLimits.idleConnectionGraceMs) / 2)
      }),
      options.swarmKey !== undefined)

    // Dial peers mDNS finds at once, members we hear of a little later.
    // A member already listed is dialed only if it is a ring neighbour: mDNS finds every host again at each query, and
    // another member's connection would be closed again once idle.
    onMdnsPeer = peer => {
      const id = peer.id.toString()
      if (table.lookup(id) === undefined || membership.isNeighbour(id)) node.dialer.now(peer)
    }
    table.watch(ev => { if (ev.type === 'join' && ev.record.peer !== self) node.dialer.later(ev.record.peer, ev.record.addrs) })
    table.watch(ev => { if (ev.type !== 'leave') dialTopicPeer(ev.record) })
    node.advertisedTopics = new AdvertisedNames(hashes => {
      void membership.topicsChanged(hashes)
        .then(() => { for (const record of table.ls()) dialTopicPeer(record) }, err => { log('topics not signed: %s', err.message) })
    }, () => advertisedTopicHashes(node.pubsub.subscribedTopics()), clusterLimits.topicLingerMs)
    node.pubsub.onTopicsChanged = () => { node.advertisedTopics?.changed() }
    table.watch(ev => {
      if (ev.record.peer === self) return
      if (ev.type === 'join') notice({ type: 'join', peer: ev.record.peer, hostname: ev.record.hostname })
      else if (ev.type === 'leave') notice({ type: 'leave', peer: ev.record.peer, how: ev.how })
    })
    // A peer that speaks none of this namespace's protocols (another namespace, or not ww) is told of once.
    const sync = syncProtocol(namespace)
    libp2p.addEventListener('peer:identify', evt => {
      const { peerId, protocols } = evt.detail
      if (protocols.includes(sync) || !once.pass(`foreign ${peerId.toString()}`)) return
      const theirs = protocols.map(p => /^\/ww\/([^/]+)\/cluster-sync\//.exec(p)?.[1]).find(ns => ns !== undefined)
      notice({ type: 'foreign-peer', peer: peerId.toString(), namespace: theirs })
    })
    await swimTransport.start()
    await membership.start()
    libp2p.addEventListener('self:peer:update', () => { void membership.addressesChanged().catch(() => {}) })
    libp2p.addEventListener('connection:open', evt => { membership.connected(evt.detail.remotePeer.toString()) })
    // A ring neighbour's last connection broke (a killed host's does at once): probe it now rather than at its turn.
    // Another member's (closed once idle) is no longer near, so nothing dials it again.
    libp2p.addEventListener('connection:close', evt => {
      const peer = evt.detail.remotePeer
      if (libp2p.getConnections(peer).some(c => c.status === 'open')) return
      if (membership.disconnected(peer.toString())) membership.swim.probeNow(peer.toString())
    })
    for (const conn of libp2p.getConnections()) membership.connected(conn.remotePeer.toString())
    await node.sync.start()
    node.bootstrapper.start()
    node.trimmer.start()
    log('started %s in namespace %s on %s', self, namespace, libp2p.getMultiaddrs().join(' '))
    return node
  }

  /** Listen multiaddrs with /p2p/<peer ID>. */
  addrs (): string[] {
    return this.libp2p.getMultiaddrs().map(a => a.toString())
  }

  /** Live hosts, itself included, filtered by "k=v" pairs. */
  /** Table sync exchanges completed (both directions) since the start. */
  get syncExchanges (): number { return this.sync.exchanges }

  ls (where: readonly string[] = []): HostRecord[] {
    return this.table.ls(where)
  }

  lookup (peer: string): HostRecord | undefined {
    return this.table.lookup(peer)
  }

  /**
   * Dials `addr` (a multiaddr, /p2p/<peer ID> optional) and returns the peer ID reached.
   * InvalidArgument for a malformed address or this node's own; Unavailable when it cannot be reached in `timeoutMs`.
   */
  async connect (addr: string, timeoutMs: number): Promise<string> {
    const ma = parseAddr(addr, 'peer')
    const p2p = ma.getComponents().find(c => c.name === 'p2p')?.value
    if (p2p === this.peerId) throw new InvalidArgument(`${addr} is this node itself`)
    try {
      const conn = await this.libp2p.dial(ma, { signal: AbortSignal.timeout(timeoutMs) })
      return conn.remotePeer.toString()
    } catch (err) {
      if ((err as Error)?.name === 'InvalidPeerIdError' && /self/.test((err as Error).message)) throw new InvalidArgument(`${addr} is this node itself`)
      throw new Unavailable(`cannot reach ${addr}: ${dialFailure(err, this.privateCluster)}`)
    }
  }

  /** Leaves the cluster (a signed leave first, sent to a few members and every connected peer) and stops libp2p. Safe to call twice. */
  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      this.bootstrapper.stop()
      this.dialer.stop()
      this.trimmer.stop()
      this.pubsub.close()
      this.advertisedTopics?.close()
      await this.sync.stop()
      await this.membership.stop()
      const leaving = this.membership.leavingRecord
      await Promise.all([
        leaving !== undefined ? this.sync.push([leaving], clusterLimits.leaveTimeoutMs) : undefined,
        this.swimTransport.stop(clusterLimits.leaveTimeoutMs)
      ])
      await this.libp2p.stop()
      this.table.close()
      log('stopped %s', this.peerId)
    })()
    await this.stopping
  }
}

/** A pubsub message's author and sequence number as one string (the ID gossipsub gives signed messages). */
function authorAndSeqno (msg: RPC.Message): string {
  const from = msg.from ?? new Uint8Array(0)
  const seqno = msg.seqno ?? new Uint8Array(0)
  return Buffer.from(from.buffer, from.byteOffset, from.byteLength).toString('latin1') + '/' +
    Buffer.from(seqno.buffer, seqno.byteOffset, seqno.byteLength).toString('latin1')
}

/**
 * Does `peer` subscribe to a user topic this node subscribes to (gossipsub forwards a topic only over connections to
 * its subscribers)? The namespace's internal topics (deployments) do not count: every host has them, and gossipsub
 * reaches every host on them over the ring's connections.
 */
function sharesTopic (gossip: GossipSub, namespace: string, peer: string): boolean {
  for (const topic of gossip.getTopics()) {
    if (userTopicName(namespace, topic) === undefined) continue
    if (gossip.getSubscribers(topic).some(p => p.toString() === peer)) return true
  }
  return false
}

/** The protocols of the cluster itself (membership, discovery, pubsub, libp2p's own): a connection carrying only these is idle. */
function clusterProtocol (namespace: string): (protocol: string) => boolean {
  const ours = new Set([swimProtocol(namespace), syncProtocol(namespace), digestSyncProtocol(namespace), kadProtocol(namespace)])
  return protocol => ours.has(protocol) || /^\/ipfs\/(id|id\/push|ping)\/[0-9.]+$/.test(protocol) || /^\/(meshsub|floodsub)\/[0-9.]+$/.test(protocol)
}

/** A connection gater that refuses the peers `refuse` names, both ways (and keeps loopback addresses dialable). */
function refusing (refuse: (peer: string) => boolean): ConnectionGater {
  const deny = (peer: PeerId): boolean => refuse(peer.toString())
  return {
    denyDialMultiaddr: () => false,
    denyDialPeer: deny,
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny
  }
}

/** kad-dht in server mode on the namespaced protocol, keeping LAN and loopback addresses, its upkeep hourly, connected contacts added unpinged (dht-upkeep.ts). */
function clusterDHT (namespace: string): ReturnType<typeof kadDHT> {
  return withClusterUpkeep(kadDHT({
    protocol: kadProtocol(namespace),
    clientMode: false,
    peerInfoMapper: passthroughMapper,
    initialQuerySelfInterval: clusterLimits.dhtSelfQueryDelayMs * (1 + Math.random() / 2),
    querySelfInterval: clusterLimits.dhtUpkeepIntervalMs,
    // Queries need not wait for that first self-query: they start from the peers connected so far (none: no result).
    // This also lets the routing-table refresh at start finish at once instead of querying right after the self-query.
    allowQueryWithZeroPeers: true
  }), clusterLimits.dhtUpkeepIntervalMs)
}

function parseAddr (a: string, what: string): Multiaddr {
  try {
    return multiaddr(a)
  } catch (err: any) {
    throw new InvalidArgument(`bad ${what} address ${JSON.stringify(a)}: ${err?.message ?? String(err)}; a multiaddr looks like /ip4/127.0.0.1/tcp/4001`)
  }
}
