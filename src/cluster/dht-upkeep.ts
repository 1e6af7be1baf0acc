// kad-dht's upkeep in a ww cluster. Every 5 minutes kad-dht queries for its own peer ID (QuerySelf) and for a random
// key at each common-prefix length of its table (RoutingTableRefresh); each query dials the closest peers it knows,
// which in a cluster of up to ~20 hosts is every host, so every idle host made ~9 handshakes every 5 minutes to
// peers whose connections the trimmer then closed again (bench/cluster/idle-profile.ts with WW_BENCH_SETTLE_S=285:
// 43 connections opened in 3 minutes at 10 hosts, none in the first 5 minutes). What the DHT serves here is peer
// routing: libp2p asks it for the addresses of a host it has no address for (dialing a host by peer ID, e.g. an RPC
// to /<peer>/...). Its table fills without these queries (every connection adds its peer), so they run every
// `intervalMs` instead. RoutingTableRefresh takes no interval option: it is set on the instance, before it starts.
// kad-dht also tags the 20 peers closest to this one KEEP_ALIVE, re-checking every 5 s: libp2p would then keep a
// full mesh up to 21 hosts, which this node's trimmer undoes (connection-trimmer.ts), and the check alone was ~3 % of
// an idle node's CPU. Which connections live is the membership's choice, so the tagger does not run.
// kad-dht pings a new contact (a new stream, negotiated on each side) before it adds it to its table. Most contacts
// are peers that just connected and answered identify: the ping tells nothing more, and in a forming cluster it
// was one more stream per new connection. A contact with an open connection is added without it; others (peers
// a query named) are still pinged.
import type { KadDHT } from '@libp2p/kad-dht'
import type { Connection, PeerId } from '@libp2p/interface'
import { logger } from '@libp2p/logger'

const log = logger('ww:cluster:dht')

interface Connections { connectionManager: { getConnections: (peer?: PeerId) => Connection[] } }
interface Contact { peerId: PeerId }
type Verify = (contact: Contact, options?: unknown) => Promise<boolean>

/**
 * `factory`'s DHT kept as a cluster needs it: its routing-table refresh every `intervalMs` (pass the same as
 * querySelfInterval), no closest-peer tagger, and new contacts with an open connection added without a ping.
 */
export function withClusterUpkeep<C extends Connections> (factory: (components: C) => KadDHT, intervalMs: number): (components: C) => KadDHT {
  return (components) => {
    const dht = factory(components)
    const kb = kBucket(dht)
    if (kb !== undefined && typeof kb.verify === 'function') {
      const ping = kb.verify
      const connected = (peer: PeerId): boolean => components.connectionManager.getConnections(peer).some(c => c.status === 'open')
      kb.verify = async (contact, options) => connected(contact.peerId) || await ping(contact, options)
    } else {
      log.error('kad-dht has no routingTable.kb.verify: it pings every new contact (see dht-upkeep.ts)')
    }
    const refresh = (dht as unknown as { routingTableRefresh?: { refreshInterval?: unknown } }).routingTableRefresh
    if (refresh !== undefined && typeof refresh.refreshInterval === 'number') refresh.refreshInterval = intervalMs
    else log.error('kad-dht has no routingTableRefresh.refreshInterval: its table refresh stays at its default (see dht-upkeep.ts)')
    const tagger = closestPeerTagger(dht)
    if (tagger !== undefined && typeof tagger.start === 'function') tagger.start = async () => {}
    else log.error('kad-dht has no routingTable.closestPeerTagger: it may tag its closest peers KEEP_ALIVE (see dht-upkeep.ts)')
    return dht
  }
}

function kBucket (dht: KadDHT): { verify?: Verify } | undefined {
  return (dht as unknown as { routingTable?: { kb?: { verify?: Verify } } }).routingTable?.kb
}

function closestPeerTagger (dht: KadDHT): { start?: unknown, timeout?: unknown } | undefined {
  return (dht as unknown as { routingTable?: { closestPeerTagger?: { start?: unknown, timeout?: unknown } } }).routingTable?.closestPeerTagger
}

/** Is kad-dht's closest-peer tagger running (its 5 s interval armed)? For tests. */
export function closestPeerTaggerRunning (dht: KadDHT): boolean {
  return closestPeerTagger(dht)?.timeout !== undefined
}

/** The interval a started DHT refreshes its table at, and queries for itself at (for tests). */
export function dhtUpkeepIntervals (dht: KadDHT): { tableRefreshMs: unknown, selfQueryMs: unknown } {
  const d = dht as unknown as { routingTableRefresh?: { refreshInterval?: unknown }, querySelf?: { interval?: unknown } }
  return { tableRefreshMs: d.routingTableRefresh?.refreshInterval, selfQueryMs: d.querySelf?.interval }
}
