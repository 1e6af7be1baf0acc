// RPC connections to other hosts over libp2p, one per peer, reused by every caller.
import { logger } from '../log.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { ClusterNode } from '../cluster/index.js'
import { rpcProtocol } from '../cluster/index.js'
import { Disconnected, InvalidArgument, Unavailable } from '../errors.js'
import { Connection, promisedCapability } from '../rpc/index.js'
import { AnchorClient } from '../schema/anchor.rpc.js'
import { Host_Local$Results$Caps, HostClient } from '../schema/host.rpc.js'
import { libp2pTransport } from '../transport/index.js'

const log = logger('ww:host:peers')

interface PeerLink {
  conn: Promise<Connection>
  host: Promise<HostClient>
  root?: Promise<AnchorClient>
  /** The root once known: calls on it go out at once instead of queueing behind a promise. */
  rootNow?: AnchorClient
}

export class PeerHosts {
  private readonly links = new Map<string, PeerLink>()
  private closed = false

  constructor (private readonly cluster: ClusterNode) {}

  /** A new reference to `peer`'s Host capability (yours to release). */
  async host (peer: string): Promise<HostClient> {
    return (await this.link(peer).host).dup()
  }

  /**
   * A new reference to `peer`'s own anchor tree, usable at once: calls made before the link is up
   * queue in order. Fails with Disconnected when the peer cannot be reached.
   */
  root (peer: string): AnchorClient {
    const link = this.link(peer)
    if (link.rootNow !== undefined) return link.rootNow.dup()
    link.root ??= link.host.then(async host => {
      using ans = host.local()
      const root = Host_Local$Results$Caps.anchor.get(await ans).dup()
      if (this.links.get(peer) === link) link.rootNow = root
      return root
    })
    return promisedCapability(AnchorClient, link.root.then(r => r.dup()))
  }

  private link (peer: string): PeerLink {
    if (this.closed) throw new Disconnected('this node is stopping')
    let link = this.links.get(peer)
    if (link === undefined) {
      const made = this.dial(peer)
      made.conn.catch(() => { if (this.links.get(peer) === made) this.links.delete(peer) })
      this.links.set(peer, made)
      link = made
    }
    return link
  }

  /** Drops the link to a host that left: its capabilities become Disconnected errors. */
  forget (peer: string): void {
    const link = this.links.get(peer)
    if (link === undefined) return
    this.links.delete(peer)
    this.dispose(link)
  }

  close (): void {
    this.closed = true
    for (const link of this.links.values()) this.dispose(link)
    this.links.clear()
  }

  private dispose (link: PeerLink): void {
    link.root?.then(r => { r.release() }, () => {})
    link.host.then(h => { h.release() }, () => {})
    link.conn.then(c => { c.close('host left the cluster') }, () => {})
  }

  private dial (peer: string): PeerLink {
    let id
    try {
      id = peerIdFromString(peer)
    } catch {
      throw new InvalidArgument(`not a peer ID: ${JSON.stringify(peer)}`)
    }
    const conn = (async () => {
      let stream
      try {
        stream = await this.cluster.components.connectionManager.dialProtocol(id, rpcProtocol(this.cluster.namespace))
      } catch (err) {
        throw new Unavailable(`cannot reach host ${peer}: ${(err as Error).message}`)
      }
      const c = new Connection(libp2pTransport(stream), { name: `peer ${peer.slice(-8)}` })
      void c.closed.then(() => {
        log('connection to %s closed', peer)
        const link = this.links.get(peer)
        if (link?.conn === conn) this.links.delete(peer)
      })
      return c
    })()
    const host = conn.then(c => c.bootstrap(HostClient))
    return { conn, host }
  }
}
