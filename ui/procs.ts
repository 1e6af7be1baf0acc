// The procs of every live host. The schema has no watch for procs, so each live host's Executor.ps is asked every
// procPollMs (through this node: Host.peer, pipelined, one round trip), and after a kill.
import type { HostClient } from '../src/schema/host.rpc.js'
import { ExitReason, ProcState, type ProcInfo } from '../src/schema/proc.js'
import { uiLimits } from './limits.js'
import { pollWithBackoff } from './poll-loop.js'

export interface ProcRow {
  /** `<peer>/<pid>`, as ww ps prints it. */
  id: string
  peer: string
  pid: number
  name: string
  args: string[]
  running: boolean
  /** running, or how it ended: exited(CODE), killed, timedOut, outOfFuel, outOfMemory, trapped. */
  state: string
  startedMs: number
  uptimeMs: number
  /** When uptimeMs was read (Unix ms, the page's clock). */
  readMs: number
  memoryBytes: number
  fuel: number
  timeoutMs: number
}

const REASONS = new Map<number, string>([
  [ExitReason.EXITED, 'exited'], [ExitReason.KILLED, 'killed'], [ExitReason.OUT_OF_FUEL, 'outOfFuel'],
  [ExitReason.OUT_OF_MEMORY, 'outOfMemory'], [ExitReason.TRAPPED, 'trapped'], [ExitReason.TIMED_OUT, 'timedOut']
])

function rowOf (i: ProcInfo, now: number): ProcRow {
  const running = i.state === ProcState.RUNNING
  let state = 'running'
  if (!running) {
    const reason = i._hasStatus() ? REASONS.get(i.status.reason) ?? 'ended' : 'ended'
    state = reason === 'exited' ? `exited(${i.status.code})` : reason
  }
  const limits = i._hasLimits() ? i.limits : undefined
  return {
    id: `${i.peer}/${i.pid}`,
    peer: i.peer,
    pid: i.pid,
    name: i.name,
    args: [...i.args],
    running,
    state,
    startedMs: Number(i.startedMs),
    uptimeMs: Number(i.uptimeMs),
    readMs: now,
    memoryBytes: Number(limits?.memoryBytes ?? 0n),
    fuel: Number(limits?.fuel ?? 0n),
    timeoutMs: Number(limits?.timeoutMs ?? 0n)
  }
}

/** Whether a drawn row must be drawn again. */
export function procChanged (a: ProcRow, b: ProcRow): boolean {
  return a.state !== b.state || a.name !== b.name || Math.floor((a.uptimeMs) / 1000) !== Math.floor(b.uptimeMs / 1000)
}

export class Procs {
  /** Rows by host, as last read. */
  private readonly byHost = new Map<string, ProcRow[]>()
  /** Hosts whose last ps failed, with why. */
  readonly failed = new Map<string, string>()
  private readonly listeners: Array<() => void> = []

  constructor (private readonly host: HostClient, private readonly self: string, private readonly livePeers: () => string[]) {}

  onChange (fn: () => void): void { this.listeners.push(fn) }

  /** Every row: running ones first, then by host and pid. */
  rows (): ProcRow[] {
    const all = [...this.byHost.values()].flat()
    return all.sort((a, b) => Number(b.running) - Number(a.running) || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : a.pid - b.pid))
  }

  start (): void {
    pollWithBackoff(async () => { await this.poll() }, uiLimits.procPollMs, uiLimits.procPollCostFactor)
  }

  /** Asks every live host for its procs; forgets the hosts no longer live. */
  async poll (): Promise<void> {
    const peers = this.livePeers()
    for (const p of [...this.byHost.keys()]) if (!peers.includes(p)) { this.byHost.delete(p); this.failed.delete(p) }
    await Promise.all(peers.map(async peer => {
      try {
        using h = this.host.peer(p => { p.peer = peer === this.self ? '' : peer })
        using ex = h.pipeline.host.executor()
        using ps = ex.pipeline.executor.ps()
        const now = Date.now()
        this.byHost.set(peer, [...(await ps).procs].map(i => rowOf(i, now)))
        this.failed.delete(peer)
      } catch (err) {
        this.failed.set(peer, (err as Error).message)
      }
    }))
    for (const fn of this.listeners) fn()
  }

  /** Kills a proc (through this node), then reads the procs again. */
  async kill (row: ProcRow): Promise<void> {
    {
      using h = this.host.peer(p => { p.peer = row.peer === this.self ? '' : row.peer })
      using ex = h.pipeline.host.executor()
      using proc = ex.pipeline.executor.proc(p => { p.pid = row.pid })
      using killed = proc.pipeline.proc.kill(p => { p.reason = 'from the web console' })
      await killed
    }
    await this.poll()
  }
}
