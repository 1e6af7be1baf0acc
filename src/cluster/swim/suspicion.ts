// A suspicion (Lifeguard, as memberlist runs it): a member that failed a probe is suspected, and removed when the
// suspicion times out without a refutation. The timeout starts at maxMs and shrinks towards minMs as independent
// confirmations (suspect or dead claims by other members) arrive, reaching minMs at `expected` confirmations:
//   timeout = max(min, max - (max - min) * log(confirmations + 1) / log(expected + 1))
// A real failure is soon suspected by many probers and removed quickly; one prober's mistake (a lost packet, a slow
// host) keeps the long timeout, so the suspected host has time to hear of it and refute.
import type { Incarnation } from './wire.js'

export class Suspicion {
  private readonly confirmers = new Set<string>()

  constructor (
    /** The incarnation suspected: a record newer than this refutes it. */
    readonly incarnation: Incarnation,
    readonly startedAt: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly expected: number,
    /** The first suspector, who does not count as a confirmation. */
    readonly from: string
  ) {}

  /** Counts `from` as a confirmation; true when it is new (a claim worth handing on). */
  confirm (from: string): boolean {
    if (from === this.from || this.confirmers.has(from) || this.confirmers.size >= this.expected) return false
    this.confirmers.add(from)
    return true
  }

  get confirmations (): number { return this.confirmers.size }

  /** When the suspected member is to be removed. */
  get deadline (): number {
    return this.startedAt + suspicionTimeoutMs(this.minMs, this.maxMs, this.expected, this.confirmers.size)
  }
}

export function suspicionTimeoutMs (minMs: number, maxMs: number, expected: number, confirmations: number): number {
  // Nobody else can confirm (a cluster of two): wait the longest.
  if (expected <= 0) return maxMs
  const frac = Math.log(confirmations + 1) / Math.log(expected + 1)
  return Math.max(minMs, Math.floor(maxMs - (maxMs - minMs) * frac))
}
