// What a node process costs, read from /proc as `top` and `ps` see it (Linux only).
import { readFileSync } from 'node:fs'

const ticksPerSecond = 100 // USER_HZ: /proc/<pid>/stat counts CPU time in these on every Linux architecture node runs on

/** CPU seconds (user + system, all threads) the process has used so far. */
export function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces: count fields from after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond // utime, stime (fields 14 and 15)
}

/**
 * Bytes the process has handed to write(2)-family calls so far (/proc/<pid>/io wchar, all threads): its TCP
 * payload, API socket replies and log lines (sendmsg/sendfile are not counted; node writes TCP with write/writev).
 * /proc/net counts per network namespace, so it cannot tell one node process from another on loopback.
 */
export function bytesWritten (pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8')
  return Number(/^wchar:\s*(\d+)$/m.exec(io)?.[1] ?? NaN)
}

/** Resident set size in MB (/proc/<pid>/status VmRSS). */
export function rssMb (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmRSS:\s*(\d+) kB$/m.exec(status)?.[1] ?? NaN) / 1024
}

/**
 * Runs `act` and waits until `holdS` after it started: the CPU seconds each of `pids` used in that time beyond its
 * `rates` (its CPU seconds a second at rest).
 */
export async function cpuBeyondRate (pids: readonly number[], rates: readonly number[], holdS: number, act: () => Promise<unknown>): Promise<number[]> {
  const before = pids.map(cpuSeconds)
  const t = performance.now()
  await act()
  await new Promise(resolve => setTimeout(resolve, Math.max(0, holdS * 1000 - (performance.now() - t))))
  const s = (performance.now() - t) / 1000
  return pids.map((p, i) => cpuSeconds(p) - before[i] - rates[i] * s)
}
