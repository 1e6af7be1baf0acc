// TCP connections per process as `ss` lists them: which were opened during a window, and by which side.
import { execFileSync } from 'node:child_process'

export interface TcpConnection { pid: number, local: string, remote: string }

/** Established TCP connections of the processes in `pids` (ss -tnp; Linux, iproute2). */
export function tcpConnections (pids: ReadonlySet<number>): TcpConnection[] {
  const out = execFileSync('ss', ['-tnpH', 'state', 'established'], { encoding: 'utf8' })
  const found: TcpConnection[] = []
  for (const line of out.split('\n')) {
    const m = /(\S+:\d+)\s+(\S+:\d+)\s+users:\(\("[^"]*",pid=(\d+)/.exec(line)
    if (m !== null && pids.has(Number(m[3]))) found.push({ pid: Number(m[3]), local: m[1], remote: m[2] })
  }
  return found
}

/**
 * Samples tcpConnections every `everyMs` until stop(): the connections not there at the first sample (opened), and
 * those of the first sample gone by the last (closed).
 */
export class ConnectionWatch {
  private readonly before = new Map<string, TcpConnection>()
  private readonly opened = new Map<string, TcpConnection>()
  private readonly timer: ReturnType<typeof setInterval>

  private readonly pids: Set<number>

  constructor (pids: ReadonlySet<number>, everyMs: number) {
    this.pids = new Set(pids)
    for (const c of tcpConnections(pids)) this.before.set(key(c), c)
    this.timer = setInterval(() => { this.sample() }, everyMs)
  }

  /** Watches these processes too from now on (every connection they hold counts as opened: they just started). */
  watchAlso (pids: readonly number[]): void {
    for (const pid of pids) this.pids.add(pid)
  }

  /** The connections opened so far, sampled now too. */
  openedSoFar (): TcpConnection[] {
    this.sample()
    return [...this.opened.values()]
  }

  stop (): { opened: TcpConnection[], closed: TcpConnection[] } {
    clearInterval(this.timer)
    const now = this.sample()
    return { opened: [...this.opened.values()], closed: [...this.before.values()].filter(c => !now.has(key(c))) }
  }

  private sample (): Set<string> {
    const now = new Set<string>()
    for (const c of tcpConnections(this.pids)) {
      now.add(key(c))
      if (!this.before.has(key(c))) this.opened.set(key(c), c)
    }
    return now
  }
}

const key = (c: TcpConnection): string => `${c.pid} ${c.local} ${c.remote}`

/** Bytes each established TCP connection of `pids` has sent so far (ss -ti bytes_sent), by pid and connection. */
export function tcpBytesSent (pids: ReadonlySet<number>): Map<number, Map<string, number>> {
  const out = execFileSync('ss', ['-tinpH', 'state', 'established'], { encoding: 'utf8' })
  const found = new Map<number, Map<string, number>>()
  let current: { pid: number, key: string } | undefined
  for (const line of out.split('\n')) {
    const m = /(\S+:\d+)\s+(\S+:\d+)\s+users:\(\("[^"]*",pid=(\d+)/.exec(line)
    if (m !== null) {
      current = pids.has(Number(m[3])) ? { pid: Number(m[3]), key: `${m[1]} ${m[2]}` } : undefined
      continue
    }
    const sent = /bytes_sent:(\d+)/.exec(line)
    if (current === undefined || sent === null) continue
    let byConn = found.get(current.pid)
    if (byConn === undefined) found.set(current.pid, byConn = new Map())
    byConn.set(current.key, Number(sent[1]))
    current = undefined
  }
  return found
}

/**
 * TCP payload bytes each of `pids` sent between two tcpBytesSent samples: what its connections open at the second
 * sent since the first (all of it for one opened between them). A connection closed between them is not counted.
 */
export function tcpSentBetween (before: Map<number, Map<string, number>>, after: Map<number, Map<string, number>>, pid: number): number {
  let sum = 0
  for (const [key, sent] of after.get(pid) ?? []) sum += sent - (before.get(pid)?.get(key) ?? 0)
  return sum
}

/** Whether processes `a` and `b` hold a TCP connection to each other (one end's local address is the other's remote). */
export function connectedPids (a: number, b: number): boolean {
  const conns = tcpConnections(new Set([a, b]))
  const ofB = new Set(conns.filter(c => c.pid === b).map(c => c.local))
  return conns.some(c => c.pid === a && ofB.has(c.remote))
}
