// The node's counters as a prom-client registry. The layers count in plain numbers where it is cheap
// (CallCounts, ChanTraffic, SwimStats, Executor.ended); the registry reads them when it is scraped, so
// nothing on the hot paths builds a label set or touches prom-client. prom-client (and the tracing API it loads)
// is loaded with the registry, at the first read (prom-registry.ts): most nodes are never scraped, and an idle node
// held ~1-2 MB for it.
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client'
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

export class NodeMetrics {
  /** Give it to every RPC connection of the node (ConnectionOptions.observer). */
  readonly calls = new CallCounts(schemaMethodNames())
  private readonly open: Record<ConnectionKind, number> = { libp2p: 0, api: 0 }
  private readonly opened: Record<ConnectionKind, number> = { libp2p: 0, api: 0 }
  private registry: Promise<Registry> | undefined

  constructor (private readonly sources: MetricSources) {}

  private async promRegistry (): Promise<Registry> {
    this.registry ??= import('./prom-registry.js').then(m => m.promRegistry(this.sources, this.calls, this.open, this.opened))
    return await this.registry
  }

  /** Counts `conn` as open until it closes (its calls are counted by `calls`, its observer). */
  track (kind: ConnectionKind, conn: Connection): void {
    this.open[kind]++
    this.opened[kind]++
    void conn.closed.then(() => { this.open[kind]-- })
  }

  /** The Prometheus text exposition of every counter. */
  async text (): Promise<string> { return await (await this.promRegistry()).metrics() }

  /** The counters as structured data, the values text() would print at the same moment. */
  async samples (): Promise<MetricSample[]> {
    const families = await (await this.promRegistry()).getMetricsAsJSON() as MetricObjectWithValues<MetricValue<string>>[]
    return families.flatMap(f => f.values.map(v => ({
      name: f.name,
      kind: String(f.type) === 'counter' ? 'counter' as const : 'gauge' as const,
      labels: Object.entries(v.labels).map(([name, value]) => ({ name, value: String(value) })),
      value: v.value
    })))
  }
}

export type { MetricSample } from '../caps/metrics.js'
