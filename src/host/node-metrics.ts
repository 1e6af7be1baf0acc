// The node's counters as a prom-client registry. The layers count in plain numbers where it is cheap
// (CallCounts, ChanTraffic, SwimStats, Executor.ended); the registry reads them when it is scraped, so
// nothing on the hot paths builds a label set or touches prom-client.
import promClient, { type MetricObjectWithValues, type MetricValue } from 'prom-client'
import type { Connection } from '../rpc/index.js'
import type { MetricSample } from '../caps/metrics.js'
import { CallCounts } from './call-counts.js'
import { schemaMethodNames } from './method-names.js'

/** Where an RPC connection comes from: a libp2p peer, or a client of the local API socket. */
export type ConnectionKind = 'libp2p' | 'api'

/** What the registry reads at each scrape (node.ts hands it the layers' counters). */
export interface MetricSources {
  /** libp2p connections open now. */
  peerConnections: () => number
  /** Live hosts in the routing table, this one included. */
  members: () => number
  swim: { probes: number, acked: number, failed: number, indirect: number, suspected: number, removed: number, sent: number, received: number, gossip: number }
  syncExchanges: () => number
  chanTraffic: { sent: number, received: number }
  chanBufferedBytes: () => number
  procsRunning: () => number
  procsEnded: Readonly<Record<string, number>>
  /** The executor's spare instances (src/proc/spares.ts). */
  spares: { readonly held: number, readonly heldBytes: number, readonly taken: number }
}

// prom-client is CommonJS: Node's ESM loader finds only some of its named exports.
const { Counter, Gauge, Registry } = promClient

export class NodeMetrics {
  readonly registry = new Registry()
  /** Give it to every RPC connection of the node (ConnectionOptions.observer). */
  readonly calls = new CallCounts(schemaMethodNames())
  private readonly open: Record<ConnectionKind, number> = { libp2p: 0, api: 0 }
  private readonly opened: Record<ConnectionKind, number> = { libp2p: 0, api: 0 }

  constructor (s: MetricSources) {
    const registers = [this.registry]
    const { open, opened, calls } = this
    const kinds = Object.keys(open) as ConnectionKind[]
    /** A counter whose values are read at scrape: reset, then set from the source. */
    const counter = (name: string, help: string, labelNames: string[], read: () => Array<[Record<string, string>, number]>): void => {
      // eslint-disable-next-line no-new
      new Counter({ name, help, labelNames, registers, collect () { this.reset(); for (const [l, v] of read()) this.inc(l, v) } })
    }
    const gauge = (name: string, help: string, labelNames: string[], read: () => Array<[Record<string, string>, number]>): void => {
      // eslint-disable-next-line no-new
      new Gauge({ name, help, labelNames, registers, collect () { this.reset(); for (const [l, v] of read()) this.set(l, v) } })
    }

    gauge('ww_rpc_connections', 'RPC connections open now, by kind (libp2p: peers; api: local API socket clients)', ['kind'],
      () => kinds.map(k => [{ kind: k }, open[k]]))
    counter('ww_rpc_connections_total', 'RPC connections opened, by kind', ['kind'], () => kinds.map(k => [{ kind: k }, opened[k]]))
    gauge('ww_peer_connections', 'libp2p connections open now', [], () => [[{}, s.peerConnections()]])
    counter('ww_rpc_calls_total', 'RPC calls this node served, by method (Interface.method)', ['method'],
      () => calls.read().map(c => [{ method: c.method }, c.calls]))
    counter('ww_rpc_errors_total', 'RPC calls this node served that failed (returned an exception), by method', ['method'],
      () => calls.read().filter(c => c.errors > 0).map(c => [{ method: c.method }, c.errors]))
    counter('ww_chan_messages_sent_total', 'messages this host\'s channels took in', [], () => [[{}, s.chanTraffic.sent]])
    counter('ww_chan_messages_received_total', 'messages this host\'s channels handed out', [], () => [[{}, s.chanTraffic.received]])
    gauge('ww_chan_buffered_bytes', 'bytes the messages waiting in this host\'s channels hold (bounded by --max-buffered-bytes)', [], () => [[{}, s.chanBufferedBytes()]])
    gauge('ww_procs', 'procs on this host by state (running now)', ['state'], () => [[{ state: 'running' }, s.procsRunning()]])
    counter('ww_procs_ended_total', 'procs that ended on this host, by reason (exited, killed, outOfFuel, outOfMemory, trapped, timedOut)', ['reason'],
      () => Object.entries(s.procsEnded).map(([reason, n]) => [{ reason }, n]))
    gauge('ww_spare_instances', 'spare instances held now, one per recently spawned module (bounded by --max-spare-instances)', [], () => [[{}, s.spares.held]])
    gauge('ww_spare_memory_bytes', 'linear memory the spare instances hold together (bounded by --spare-memory)', [], () => [[{}, s.spares.heldBytes]])
    counter('ww_spare_instances_taken_total', 'spawns that took a spare instance instead of instantiating', [], () => [[{}, s.spares.taken]])
    gauge('ww_membership_hosts', 'live hosts in the cluster as this host sees it, itself included', [], () => [[{}, s.members()]])
    counter('ww_membership_probes_total', 'SWIM probes this host made, by outcome (acked, failed; indirect: probes that asked others to try)', ['outcome'],
      () => [[{ outcome: 'all' }, s.swim.probes], [{ outcome: 'acked' }, s.swim.acked], [{ outcome: 'failed' }, s.swim.failed], [{ outcome: 'indirect' }, s.swim.indirect]])
    counter('ww_membership_messages_total', 'SWIM messages, by direction (sent, received) and, for sent gossip, kind', ['direction', 'kind'],
      () => [[{ direction: 'sent', kind: 'all' }, s.swim.sent], [{ direction: 'sent', kind: 'gossip' }, s.swim.gossip], [{ direction: 'received', kind: 'all' }, s.swim.received]])
    counter('ww_membership_syncs_total', 'table sync exchanges completed (anti-entropy and on new connections)', [], () => [[{}, s.syncExchanges()]])
    counter('ww_membership_suspicions_total', 'members this host suspected, and members it removed', ['event'],
      () => [[{ event: 'suspected' }, s.swim.suspected], [{ event: 'removed' }, s.swim.removed]])
  }

  /** Counts `conn` as open until it closes (its calls are counted by `calls`, its observer). */
  track (kind: ConnectionKind, conn: Connection): void {
    this.open[kind]++
    this.opened[kind]++
    void conn.closed.then(() => { this.open[kind]-- })
  }

  /** The Prometheus text exposition of every counter. */
  async text (): Promise<string> { return await this.registry.metrics() }

  /** The counters as structured data, the values text() would print at the same moment. */
  async samples (): Promise<MetricSample[]> {
    const families = await this.registry.getMetricsAsJSON() as MetricObjectWithValues<MetricValue<string>>[]
    return families.flatMap(f => f.values.map(v => ({
      name: f.name,
      kind: String(f.type) === 'counter' ? 'counter' as const : 'gauge' as const,
      labels: Object.entries(v.labels).map(([name, value]) => ({ name, value: String(value) })),
      value: v.value
    })))
  }
}

export type { MetricSample } from '../caps/metrics.js'
