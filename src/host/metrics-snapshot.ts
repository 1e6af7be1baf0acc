// The node's counters into a metrics.capnp Snapshot: the answer of Host.metrics.
import { Sample_Kind, type Snapshot } from '../schema/metrics.js'
import type { MetricSample } from './node-metrics.js'

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
