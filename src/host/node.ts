// One running node: the cluster layer, the capability servers, RPC on libp2p and on the API socket.
import { unlink } from 'node:fs/promises'
import { hostname as osHostname } from 'node:os'
import { logger } from '../log.js'
import { AnchorTree } from '../anchor/index.js'
import { ServedTree } from '../caps/anchor.js'
import { SELF_COMPONENT, serveClusterRoot } from '../caps/anchor-cluster-root.js'
import { ClusterNode, loadOrCreateIdentity, normalizeMeta, rpcProtocol, type ClusterNodeOptions, type ClusterNotice } from '../cluster/index.js'
import { hostChanBudget, hostChanTraffic } from '../csp/index.js'
import { InvalidArgument, LimitExceeded, NotFound, PermissionDenied } from '../errors.js'
import { OWNER, type QuotaLimits } from '../proc/index.js'
import { Connection, type Capability } from '../rpc/index.js'
import type { AnchorClient } from '../schema/anchor.rpc.js'
import type { HostClient } from '../schema/host.rpc.js'
import { libp2pTransport } from '../transport/index.js'
import { serveApiSocket, type ApiSocket } from './api-socket.js'
import { DeploymentService } from './deployments/service.js'
import { serveDeployments } from '../caps/deployments.js'
import type { Home } from './home.js'
import { AdvertisedNames } from './advertised-names.js'
import { EndpointLookup } from './endpoint-lookup.js'
import { EndpointRegistry } from './endpoint-registry.js'
import { serveEndpoints } from '../caps/endpoints.js'
import { heartbeatWire } from '../caps/heartbeat.js'
import { serveHost, type HostParts } from '../caps/host.js'
import { HostProcs } from './host-procs.js'
import { hostLimits } from './limits.js'
import { lockHome } from './lock.js'
import { metricsHandler, serveMetrics, type MetricsServer } from './metrics-http.js'
import { writeSnapshot } from '../caps/metrics.js'
import { NodeMetrics } from './node-metrics.js'
import { PeerHosts } from './peer-hosts.js'
import { ALL_RIGHTS, Policy, formatRights, lacks } from './policy.js'
import { partsForPeer } from './policy-host.js'
import { LivePolicy } from './live-policy.js'
import { serveRouter } from '../caps/router.js'
import { serveView } from '../caps/view.js'
import type { UiServer } from './ui-server.js'

const log = logger('ww:host')

/** What a node tells its user: the cluster's notices, and errors it survives. */
export type NodeNotice = ClusterNotice
  /** An RPC connection with a peer broke the protocol or a limit, and was aborted; the node goes on. */
  | { type: 'rpc-aborted', peer: string, reason: string }
  /** Bytes supplied for a module did not match its hash and were refused; `from`: "peer <id>" or the owner; `unsaid`: such events not told before (rate limit). */
  | { type: 'module-mismatch', from: string, hash: string, unsaid: number }

export interface NodeOptions extends Pick<ClusterNodeOptions, 'namespace' | 'listen' | 'bootstrap' | 'mdns' | 'meta' | 'ttlMs' | 'swarmKey'> {
  home: Home
  /** Serve the API socket (default true). */
  api?: boolean
  version?: string
  /** What remote peers may do (default: Policy.defaults, all rights with a swarm key, read without). */
  policy?: Policy
  onNotice?: (notice: NodeNotice) => void
  /** Bytes the values stored at this host's anchors may hold together (default DEFAULT_ANCHOR_LIMITS.maxStoredBytes). */
  maxStoredBytes?: number
  /** Bytes the messages held in this host's channels may hold together (default DEFAULT_CHAN_LIMITS.maxBufferedBytes). */
  maxBufferedBytes?: number
  /** Bytes `<home>/modules` may hold (default DEFAULT_RUNTIME_LIMITS.moduleCacheBytes). */
  maxModuleCacheBytes?: number
  /** Most spare instances kept (default DEFAULT_RUNTIME_LIMITS.maxSpareInstances; 0 = none). */
  maxSpareInstances?: number
  /** Linear memory the spare instances may hold together (default DEFAULT_RUNTIME_LIMITS.spareMemoryBytes). */
  spareMemoryBytes?: number
  /** New modules one remote peer may make this host prepare per minute (default hostLimits.modulePreparationsPerMinute). */
  modulePreparationsPerMinute?: number
  /** What procs may hold on this host, in all and per spawning peer (default DEFAULT_RUNTIME_LIMITS). */
  quotas?: Partial<QuotaLimits>
  /** Serve the web console (the owner's Host over a WebSocket) on this address; pageDir holds the built page. */
  ui?: { host: string, port: number, pageDir: URL }
  /** Serve the counters in Prometheus text format at http://HOST:PORT/metrics, without a token (port 0: any free one). */
  metrics?: { host: string, port: number }
}

export class WwNode {
  private stopping?: Promise<void>
  private requestStop!: (why: string) => void
  /** Resolves (with who asked) when the owner asks this node to stop through the API socket (`ww stop`). */
  readonly stopRequested = new Promise<string>(resolve => { this.requestStop = resolve })
  private api: ApiSocket | undefined
  /** The web console, when started with `ui`. */
  ui: UiServer | undefined
  private metricsServer: MetricsServer | undefined

  private constructor (
    readonly cluster: ClusterNode,
    /** The owner's Host: the API socket's, with stop and connect. */
    readonly host: HostClient,
    readonly peers: PeerHosts,
    private readonly local: AnchorClient,
    private readonly unlock: () => void,
    readonly procs: HostProcs,
    readonly deployments: DeploymentService,
    /** The node's counters (Host.metrics, /metrics). */
    readonly metrics: NodeMetrics,
    private readonly livePolicy: LivePolicy
  ) {}

  /** What remote peers may do now. */
  get policy (): Policy { return this.livePolicy.policy }

  /**
   * Puts `policy` in force: connections opened from now on get a Host built from it, and the connections of peers
   * whose rights or module rules it changes are closed (their next call connects again, under it). Returns those peers.
   */
  setPolicy (policy: Policy): string[] { return this.livePolicy.replace(policy) }

  get peerId (): string { return this.cluster.peerId }

  /** Where /metrics is served (options.metrics), as http://HOST:PORT/metrics. */
  get metricsUrl (): string | undefined { return this.metricsServer?.url }

  static async start (options: NodeOptions): Promise<WwNode> {
    const unlock = lockHome(options.home)
    let cluster: ClusterNode | undefined
    let metricsServer: MetricsServer | undefined
    try {
      const { home, api: _api, ui: _ui, version: _version, policy: _policy, onNotice, maxStoredBytes, maxBufferedBytes, maxModuleCacheBytes, maxSpareInstances, spareMemoryBytes, modulePreparationsPerMinute, quotas, metrics: _metrics, ...clusterOptions } = options
      if (maxBufferedBytes !== undefined) hostChanBudget.bytes = maxBufferedBytes
      const notice = onNotice ?? (() => {})
      cluster = await ClusterNode.start({ ...clusterOptions, home: home.dir, onNotice: notice, heartbeatWire })
      const c = cluster
      const instance = c.membership.instance
      const meta = normalizeMeta(options.meta ?? [])
      const peers = new PeerHosts(c)
      const tree = new AnchorTree<Capability>({ mount: `/${c.peerId}`, limits: maxStoredBytes === undefined ? {} : { maxStoredBytes } })
      const served = new ServedTree(tree)
      const local = served.root()
      const hosts = {
        self: c.peerId,
        walkSelf: (path: string) => served.walk(path),
        lookupSelf: (path: string) => served.lookup(path),
        peers: () => c.ls().map(r => r.peer),
        isLive: (peer: string) => c.lookup(peer) !== undefined,
        hostRoot: (peer: string) => peer === c.peerId ? local.dup() : peers.root(peer)
      }
      c.table.watch(ev => { if (ev.type === 'leave') peers.forget(ev.record.peer) })
      const advertised = new AdvertisedNames(names => {
        c.membership.endpointsChanged(names).catch(err => { log('endpoint names not signed: %s', (err as Error).message) })
      }, () => registry.names(), hostLimits.endpointNameLingerMs)
      const registry = new EndpointRegistry(() => { advertised.changed() })
      const lookup = new EndpointLookup({
        self: c.peerId,
        registry,
        servers: name => c.ls().filter(r => r.endpoints?.includes(name) === true).map(r => r.peer),
        hostOf: async peer => await peers.host(peer),
        listTimeoutMs: hostLimits.endpointListTimeoutMs,
        sendCacheMs: hostLimits.endpointSendCacheMs
      })
      const servedNames = (): Map<string, number> => {
        const counts = new Map<string, number>()
        for (const r of c.ls()) {
          const names = r.peer === c.peerId ? registry.names() : r.endpoints ?? []
          for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1)
        }
        return counts
      }
      const endpointsFor = (owner: boolean, refuseSend?: Error) => () => serveEndpoints({ registry, lookup, served: servedNames, owner, refuseSend })
      const view = serveView(c.table)
      const router = serveRouter(c.pubsub)
      const procs = new HostProcs({
        peerId: c.peerId,
        modulesDir: options.home.modules,
        pidFile: options.home.pids,
        clusterRoot: () => serveClusterRoot(hosts),
        hostOf: async peer => await peers.host(peer),
        hosts: where => c.ls(where).map(r => r.peer),
        hostRecords: where => c.ls(where).map(r => ({ peer: r.peer, meta: r.meta })),
        pubsub: c.pubsub,
        onHostLeft: fn => c.table.watch(ev => { if (ev.type === 'leave') fn(ev.record.peer) }),
        limits: {
          ...quotas,
          ...(maxModuleCacheBytes === undefined ? {} : { moduleCacheBytes: maxModuleCacheBytes }),
          ...(maxSpareInstances === undefined ? {} : { maxSpareInstances }),
          ...(spareMemoryBytes === undefined ? {} : { spareMemoryBytes })
        },
        preparationsPerMinute: modulePreparationsPerMinute,
        onModuleMismatch: (from, hash, unsaid) => { notice({ type: 'module-mismatch', from, hash, unsaid }) },
        endpoints: { registry, lookup }
      })
      const executor = procs.serve(OWNER)
      const livePolicy = new LivePolicy(options.policy ?? Policy.defaults(options.swarmKey !== undefined))
      const deploys = new DeploymentService({
        self: c.peerId,
        namespace: c.namespace,
        key: await loadOrCreateIdentity(home.dir),
        components: { connectionManager: c.components.connectionManager, registrar: c.components.registrar, events: c.components.events, pubsub: c.components.pubsub },
        file: home.deployments,
        policy: livePolicy,
        procs,
        hosts: () => c.ls([]).map(r => ({ peer: r.peer, meta: r.meta })),
        hostOf: async peer => await peers.host(peer),
        clusterRoot: () => serveClusterRoot(hosts),
        watchHosts: fn => c.table.watch(() => { fn() })
      })
      await deploys.start()
      const deploymentsFor = (refuseChanges?: Error) => serveDeployments({
        service: deploys,
        self: c.peerId,
        peers: () => c.ls().map(r => r.peer),
        hostOf: async peer => await peers.host(peer),
        refuseChanges
      })
      const deployments = deploymentsFor()
      const swim = c.membership.swim.stats
      const metrics = new NodeMetrics({
        peerConnections: () => c.components.connectionManager.getConnections().length,
        members: () => c.table.size,
        swim,
        syncExchanges: () => c.syncExchanges,
        chanTraffic: hostChanTraffic,
        chanBufferedBytes: () => hostChanBudget.inUse,
        procsRunning: () => procs.executor.running,
        procsEnded: procs.executor.ended,
        spares: procs.executor.spares
      })
      const parts: HostParts = {
        info (to) {
          to.peer = c.peerId
          to.instance = instance
          to.hostname = osHostname()
          to.namespace = c.namespace
          const addrs = c.addrs()
          const a = to._initAddrs(addrs.length)
          addrs.forEach((x, i) => a.set(i, x))
          const m = to._initMeta(meta.length)
          meta.forEach((x, i) => m.set(i, x))
          to.version = options.version ?? ''
        },
        view,
        router,
        root: () => serveClusterRoot(hosts),
        local: () => local.dup(),
        executor,
        endpoints: endpointsFor(true),
        deployments,
        metrics: async to => { writeSnapshot(to, Date.now(), await metrics.samples()) },
        peer: async peer => {
          if (peer === '' || peer === c.peerId || peer === SELF_COMPONENT) return undefined
          if (c.lookup(peer) === undefined) throw new NotFound(`no live host ${JSON.stringify(peer)}`)
          return await peers.host(peer)
        }
      }
      let node: WwNode | undefined
      const host = serveHost(parts, {
        stop: () => {
          node?.requestStop('ww stop')
          return process.pid
        },
        connect: async addr => await c.connect(addr, hostLimits.connectTimeoutMs)
      })
      log('policy: members %s, %d peers granted their own', formatRights(livePolicy.policy.members), livePolicy.policy.peers.size)
      // The parts stay held while the node runs: each connection's Host is served from them.
      const releaseParts = (): void => {
        view.release()
        router.release()
        executor.release()
        deployments.release()
      }
      await c.components.registrar.handle(rpcProtocol(c.namespace), (stream, connection) => {
        const peer = connection.remotePeer.toString()
        // Each connection's bootstrap is a Host built for its peer: it holds only what the policy grants, its
        // executor runs only the modules the policy allows that peer, and charges the procs it spawns to that peer (quotas).
        const policy = livePolicy.policy
        const rights = policy.rightsOf(peer)
        const spawner = { peer, modules: policy.modulesOf(peer) }
        const peerParts = { ...parts, endpoints: endpointsFor(false, rights.has('write') ? undefined : lacks(peer, 'write', 'listing and sending to endpoints')) }
        const forPeer = rights.size < ALL_RIGHTS.size
          ? partsForPeer(peerParts, c.peerId, peer, rights, root => procs.serve(peer, root, spawner))
          : { ...peerParts, executor: procs.serve(peer, undefined, spawner) }
        // A peer may list deployments but not change them, even with exec: a record this host signed would run on
        // every host that trusts this one, with this host's rights rather than the peer's. Deploy from your own node.
        const peerDeployments = deploymentsFor(new PermissionDenied(`peer ${peer} may not deploy, scale or undeploy through this host: deployments are made by a host's owner (its API socket) and signed by that host; deploy from your own node`))
        forPeer.deployments = peerDeployments
        const bootstrap = serveHost(forPeer)
        forPeer.executor?.release()
        const conn = new Connection(libp2pTransport(stream), { bootstrap, name: 'libp2p', observer: metrics.calls })
        metrics.track('libp2p', conn)
        livePolicy.track(peer, conn)
        bootstrap.release()
        void conn.closed.then(() => {
          const err = conn.error
          if (err instanceof InvalidArgument || err instanceof LimitExceeded) {
            notice({ type: 'rpc-aborted', peer, reason: err.message })
          }
        })
      })
      node = new WwNode(c, host, peers, local, () => { releaseParts(); advertised.close(); lookup.close(); registry.close(); unlock() }, procs, deploys, metrics, livePolicy)
      // A URL file left by a node that did not stop cleanly must not point `ww ui` at nothing. The console is up
      // before the API socket, so a client that reaches the node finds the URL file of a node started with --ui.
      await unlink(options.home.uiUrl).catch(() => {})
      if (options.metrics !== undefined) metricsServer = node.metricsServer = await serveMetrics(metrics, options.metrics.host, options.metrics.port)
      if (options.ui !== undefined) {
        // The console's server (and the WebSocket library) is loaded only for a node started with it.
        const { serveUi } = await import('./ui-server.js')
        node.ui = await serveUi(host, { ...options.ui, urlFile: options.home.uiUrl })
        node.ui.route({ path: '/metrics', token: true, handle: metricsHandler(metrics) })
      }
      if (options.api !== false) {
        const started = node
        node.api = await serveApiSocket(options.home.apiSocket, host, metrics).catch(async (err: Error) => {
          await started.ui?.close('the node did not start')
          throw err
        })
      }
      return node
    } catch (err) {
      await metricsServer?.close()
      await cluster?.stop().catch(() => {})
      unlock()
      throw err
    }
  }

  /**
   * Ends every API connection (their calls fail Disconnected, whatever the clients do), stops the procs (waiting
   * at most procsCloseMs), leaves the cluster (others drop this host at once) and stops everything. Safe to call twice.
   */
  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      const api = this.api?.close('the node is stopping')
      const ui = this.ui?.close('the node is stopping')
      await this.deployments.stop()
      const metrics = this.metricsServer?.close()
      await settledWithin(this.procs.close(), hostLimits.procsCloseMs)
      this.peers.close()
      await this.cluster.stop()
      await api
      await ui
      await metrics
      this.host.release()
      this.local.release()
      this.unlock()
      log('stopped')
    })()
    await this.stopping
  }
}

/** Waits for `p` to settle, or `ms`, whichever comes first. */
async function settledWithin (p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([p.catch(() => {}), new Promise<void>(resolve => { timer = setTimeout(resolve, ms) })])
  clearTimeout(timer)
}
