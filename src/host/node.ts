// One running node: the cluster layer, the capability servers, RPC on libp2p and on the API socket.
import { hostname as osHostname } from 'node:os'
import { logger } from '@libp2p/logger'
import { AnchorTree, SELF_COMPONENT, ServedTree, serveClusterRoot } from '../anchor/index.js'
import { ClusterNode, normalizeMeta, rpcProtocol, type ClusterNodeOptions } from '../cluster/index.js'
import { NotFound } from '../errors.js'
import { Connection, type Capability } from '../rpc/index.js'
import type { AnchorClient } from '../schema/anchor.rpc.js'
import type { HostClient } from '../schema/host.rpc.js'
import { libp2pTransport } from '../transport/index.js'
import { serveApiSocket, type ApiSocket } from './api-socket.js'
import type { Home } from './home.js'
import { serveHost } from './host-server.js'
import { HostProcs } from './host-procs.js'
import { lockHome } from './lock.js'
import { PeerHosts } from './peer-hosts.js'
import { serveRouter } from './pubsub-server.js'
import { serveView } from './view-server.js'

const log = logger('ww:host')

export interface NodeOptions extends Pick<ClusterNodeOptions, 'namespace' | 'listen' | 'bootstrap' | 'mdns' | 'meta' | 'ttlMs'> {
  home: Home
  /** Serve the API socket (default true). */
  api?: boolean
  version?: string
}

export class WwNode {
  private stopping?: Promise<void>

  private constructor (
    readonly cluster: ClusterNode,
    readonly host: HostClient,
    readonly peers: PeerHosts,
    private readonly local: AnchorClient,
    private readonly api: ApiSocket | undefined,
    private readonly unlock: () => void,
    readonly procs: HostProcs
  ) {}

  get peerId (): string { return this.cluster.peerId }

  static async start (options: NodeOptions): Promise<WwNode> {
    const unlock = lockHome(options.home)
    let cluster: ClusterNode | undefined
    try {
      const { home, api: _api, version: _version, ...clusterOptions } = options
      cluster = await ClusterNode.start({ ...clusterOptions, home: home.dir })
      const c = cluster
      const instance = c.membership.instance
      const meta = normalizeMeta(options.meta ?? [])
      const peers = new PeerHosts(c)
      const tree = new AnchorTree<Capability>({ mount: `/${c.peerId}` })
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
      const view = serveView(c.table)
      const router = serveRouter(c.pubsub)
      const procs = new HostProcs({
        peerId: c.peerId,
        modulesDir: options.home.modules,
        pidFile: options.home.pids,
        clusterRoot: () => serveClusterRoot(hosts),
        hostOf: async peer => await peers.host(peer),
        hosts: where => c.ls(where).map(r => r.peer)
      })
      const executor = procs.serve()
      const host: HostClient = serveHost({
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
        peer: async peer => {
          if (peer === '' || peer === c.peerId || peer === SELF_COMPONENT) return host.dup()
          if (c.lookup(peer) === undefined) throw new NotFound(`no live host ${JSON.stringify(peer)}`)
          return await peers.host(peer)
        }
      })
      view.release()
      router.release()
      executor.release()
      await c.libp2p.handle(rpcProtocol(c.namespace), (stream) => {
        new Connection(libp2pTransport(stream), { bootstrap: host, name: 'libp2p' }) // eslint-disable-line no-new
      })
      const api = options.api === false ? undefined : await serveApiSocket(options.home.apiSocket, host)
      return new WwNode(c, host, peers, local, api, unlock, procs)
    } catch (err) {
      await cluster?.stop().catch(() => {})
      unlock()
      throw err
    }
  }

  /** Leaves the cluster (others drop this host at once) and stops everything. Safe to call twice. */
  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      await this.api?.close()
      await this.procs.close()
      this.peers.close()
      await this.cluster.stop()
      this.host.release()
      this.local.release()
      this.unlock()
      log('stopped')
    })()
    await this.stopping
  }
}
