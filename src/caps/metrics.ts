// The node's counters into a metrics.capnp Snapshot: the answer of Host.metrics.
import { Sample_Kind, type Snapshot } from '../schema/metrics.js'

/** One sample of the node's metrics (src/host/node-metrics.ts reads them from its registry). */
export interface MetricSample {
  name: string
  kind: 'counter' | 'gauge'
  labels: Array<{ name: string, value: string }>
  value: number
}

export function writeSnapshot (to: Snapshot, atMs: number, samples: readonly MetricSample[]): void {
  to.atMs = BigInt(atMs)
  const list = to._initSamples(samples.length)
  samples.forEach((s, i) => {
    const out = list.get(i)
    out.name = s.name
    out.kind = s.kind === 'counter' ? Sample_Kind.COUNTER : Sample_Kind.GAUGE
    out.value = s.value
    const labels = out._initLabels(s.labels.length)
    s.labels.forEach((l, j) => {
      const label = labels.get(j)
      label.name = l.name
      label.value = l.value
    })
  })
}
