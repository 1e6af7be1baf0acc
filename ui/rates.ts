// Message and call rates per host: every live host's counters (Host.metrics, through this node: Host.peer,
// pipelined), asked every ratePollMs, differenced against the host's previous answer. A host that refuses or does
// not answer in rateAnswerMs has no rates this round (shown "—"); it is not asked again while a call is pending.
import type { HostClient } from '../src/schema/host.rpc.js'
import type { Snapshot } from '../src/schema/metrics.js'
import { uiLimits } from './limits.js'
import { pollWithBackoff } from './poll-loop.js'

/** Counter values of one answer. */
export interface Counters {
  atMs: number
  msgsIn: number
  msgsOut: number
  calls: Map<string, number>
  errors: Map<string, number>
}

export interface MethodRate { method: string, calls: number, errors: number }

export interface HostRates {
  peer: string
  /** Why the last round has no numbers for it (refused, no answer); undefined when it answered. */
  failed?: string
  /** Per second over `intervalMs`; undefined until the host has answered twice. */
  msgsIn?: number
  msgsOut?: number
  calls?: number
  errors?: number
  intervalMs?: number
  /** Calls by method over the interval, the busiest first. */
  methods: MethodRate[]
}

function countersOf (s: Snapshot): Counters {
  const c: Counters = { atMs: Number(s.atMs), msgsIn: 0, msgsOut: 0, calls: new Map(), errors: new Map() }
  for (const x of s.samples) {
    const method = (): string => [...x.labels].find(l => l.name === 'method')?.value ?? '?'
    switch (x.name) {
      case 'ww_chan_messages_sent_total': c.msgsIn = x.value; break
      case 'ww_chan_messages_received_total': c.msgsOut = x.value; break
      case 'ww_rpc_calls_total': c.calls.set(method(), x.value); break
      case 'ww_rpc_errors_total': c.errors.set(method(), x.value); break
    }
  }
  return c
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0)

/** Rates between two answers; undefined when a counter went down (the host restarted): `now` is the new base. */
export function ratesBetween (prev: Counters, now: Counters): Omit<HostRates, 'peer'> | undefined {
  const dt = now.atMs - prev.atMs
  if (dt <= 0) return undefined
  const per = (a: number, b: number): number => (b - a) * 1000 / dt
  const diffs = [per(prev.msgsIn, now.msgsIn), per(prev.msgsOut, now.msgsOut), per(sum(prev.calls), sum(now.calls)), per(sum(prev.errors), sum(now.errors))]
  if (diffs.some(d => d < 0)) return undefined
  const methods = [...now.calls].map(([method, n]) => ({
    method,
    calls: per(prev.calls.get(method) ?? 0, n),
    errors: per(prev.errors.get(method) ?? 0, now.errors.get(method) ?? 0)
  })).filter(m => m.calls > 0).sort((a, b) => b.calls - a.calls || (a.method < b.method ? -1 : 1))
  const [msgsIn, msgsOut, calls, errors] = diffs
  return { msgsIn, msgsOut, calls, errors, intervalMs: dt, methods }
}

export class Rates {
  readonly byHost = new Map<string, HostRates>()
  private readonly last = new Map<string, Counters>()
  private readonly pending = new Set<string>()
  private readonly listeners: Array<() => void> = []

  constructor (private readonly host: HostClient, private readonly self: string, private readonly livePeers: () => string[]) {}

  onChange (fn: () => void): void { this.listeners.push(fn) }

  start (): void {
    pollWithBackoff(async () => { await this.poll() }, uiLimits.ratePollMs, uiLimits.ratePollCostFactor)
  }

  /** Asks every live host for its counters; forgets the hosts no longer live. */
  async poll (): Promise<void> {
    const peers = this.livePeers()
    for (const p of [...this.byHost.keys()]) if (!peers.includes(p)) { this.byHost.delete(p); this.last.delete(p) }
    await Promise.all(peers.map(async peer => {
      if (this.pending.has(peer)) {
        this.byHost.set(peer, { peer, failed: 'still answering the last round', methods: [] })
        return
      }
      try {
        const now = await this.ask(peer)
        const prev = this.last.get(peer)
        this.last.set(peer, now)
        const rates = prev === undefined ? undefined : ratesBetween(prev, now)
        this.byHost.set(peer, { peer, methods: [], ...rates })
      } catch (err) {
        this.byHost.set(peer, { peer, failed: (err as Error).message, methods: [] })
      }
    }))
    for (const fn of this.listeners) fn()
  }

  /** One host's counters, or an error when it refuses or has not answered in rateAnswerMs. */
  private async ask (peer: string): Promise<Counters> {
    this.pending.add(peer)
    const h = this.host.peer(p => { p.peer = peer === this.self ? '' : peer })
    const m = h.pipeline.host.metrics()
    const answer = m.then(r => countersOf(r.snapshot))
    void answer.catch(() => {}).finally(() => { m.release(); h.release(); this.pending.delete(peer) })
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`no answer in ${uiLimits.rateAnswerMs / 1000} s`)) }, uiLimits.rateAnswerMs)
    })
    try {
      return await Promise.race([answer, late])
    } finally {
      clearTimeout(timer)
    }
  }
}
