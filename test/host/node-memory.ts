// The resident memory of a node's process, read the way `ps` reads it.
import { readFileSync } from 'node:fs'

/** VmRSS of process `pid`, in MiB. */
export function rssMiB (pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (m === null) throw new Error(`no VmRSS for process ${pid}`)
  return Number(m[1]) / 1024
}
