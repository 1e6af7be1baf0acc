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

  constructor (private readonly pids: ReadonlySet<number>, everyMs: number) {
    for (const c of tcpConnections(pids)) this.before.set(key(c), c)
    this.timer = setInterval(() => { this.sample() }, everyMs)
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
