// The Prometheus registry of a node's counters (node-metrics.ts loads this, and prom-client, at the first read).
import promClient, { type Registry } from 'prom-client'
import type { CallCounts } from './call-counts.js'
import type { ConnectionKind, MetricSources } from './node-metrics.js'

// prom-client is CommonJS: Node's ESM loader finds only some of its named exports.
const { Counter, Gauge, Registry: PromRegistry } = promClient

/** A registry whose metrics read `s`, `calls` and the connection counts at each scrape. */
export function promRegistry (s: MetricSources, calls: CallCounts, open: Record<ConnectionKind, number>, opened: Record<ConnectionKind, number>): Registry {
  const registry = new PromRegistry()
  const registers = [registry]
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
  return registry
}
