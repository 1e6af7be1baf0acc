// ww ps / ww kill: the procs of this host (or of every host) and ending one.
import { Command } from 'commander'
import { NotFound } from '../src/errors.js'
import { readExitStatus, readProcInfo, type ProcInfoJson } from '../src/caps/proc-status.js'
import type { HostClient } from '../src/schema/host.rpc.js'
import { withHost } from './client.js'
import { exitCodeOf } from './exit-codes.js'
import { oneLine } from './one-line.js'
import { homeOption } from './home-option.js'
import { statusWord } from './proc-exit.js'
import { hostFor, parseProcId, procFor, procId } from './proc-ref.js'

type PsRow = ProcInfoJson & { deployment?: string }

/** The procs of `host`; a replica of a deployment says which (NAME#index). */
async function psOf (host: HostClient): Promise<PsRow[]> {
  using ex = host.executor()
  using ans = ex.pipeline.executor.ps()
  using d = host.deployments()
  using reps = d.pipeline.deployments.local()
  const procs: PsRow[] = [...(await ans).procs].map(readProcInfo)
  let replicas: Map<number, string>
  try {
    replicas = new Map([...(await reps).replicas].filter(r => r.pid !== 0).map(r => [r.pid, `${r.deployment}#${r.index}`]))
  } catch {
    replicas = new Map() // a host without deployments (an older version): none of its procs is a replica
  }
  for (const p of procs) {
    const dep = replicas.get(p.pid)
    if (dep !== undefined && p.state === 'running') p.deployment = dep
  }
  return procs
}

const COLUMNS = ['ID', 'STATE', 'STARTED', 'UPTIME', 'NAME', 'ARGS'] as const
const ALL_COLUMNS = ['ID', 'STATE', 'STARTED', 'UPTIME', 'DEPLOYMENT', 'NAME', 'ARGS'] as const

export function psCommand (): Command {
  return new Command('ps')
    .summary('list procs (--all: on every host)')
    .description('list the procs of this host (the running ones and the last ones that ended, by pid), one per line under a header: ' +
      'ID (<peer>/<pid>; a pid is never reused on its host), STATE (running, exited(CODE), killed, timedOut, outOfFuel, outOfMemory, trapped), ' +
      'STARTED (local time), UPTIME (how long it has run, or ran), NAME, ARGS; with --all also DEPLOYMENT (NAME#index of the deployment ' +
      'a running proc is a replica of, "-" for none)')
    .addOption(homeOption())
    .option('--all', 'list the procs of every live host (a host that refuses or cannot be reached is skipped with one line on stderr, and the exit code says why)')
    .option('--json', 'print objects, one JSON array, with fields pid, peer, name, moduleHash (hex), args, state (running or exited), ' +
      'status (once ended: reason, code, message), startedMs and endedMs (Unix times in ms), uptimeMs (a duration), ' +
      'limits (memoryBytes: the memory maximum in force; fuel: the budget, 0 = unlimited; timeoutMs: the wall-clock limit, 0 = none) ' +
      'and deployment (the deployment replica a running proc is, NAME#index)')
    .action(async (flags: { home?: string, all?: boolean, json?: boolean }) => {
      const procs = await withHost(flags.home, async host => {
        if (flags.all !== true) return await psOf(host)
        using cluster = host.cluster()
        using ans = cluster.pipeline.view.ls()
        const peers = [...(await ans).hosts].map(h => h.peer)
        const lists = await Promise.allSettled(peers.map(async peer => {
          using h = await hostFor(host, peer)
          return await psOf(h)
        }))
        // A host that refuses (no 'exec' for us) or cannot be reached is skipped, one line each; the rest are listed.
        const skipped = lists.flatMap((r, i) => r.status === 'rejected' ? [{ peer: peers[i], err: r.reason as Error }] : [])
        for (const s of skipped) process.stderr.write(`ww: skipped host ${s.peer}: ${oneLine(s.err.message)}\n`)
        if (skipped.length > 0) process.exitCode = exitCodeOf(skipped[0].err)
        return lists.flatMap(r => r.status === 'fulfilled' ? r.value : [])
      })
      if (flags.json === true) {
        process.stdout.write(JSON.stringify(procs) + '\n')
        return
      }
      const all = flags.all === true
      const rows = procs.map(p => [
        procId(p), p.state === 'running' ? 'running' : statusWord(p.status), startedAt(p.startedMs), duration(p.uptimeMs),
        ...(all ? [p.deployment ?? '-'] : []), p.name, p.args.join(' ')
      ])
      process.stdout.write(table([[...(all ? ALL_COLUMNS : COLUMNS)], ...rows]))
    })
}

/** Columns padded to their widest cell, two spaces apart; the last one is not padded. */
export function table (rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
  return rows.map(r => r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i])).join('  ').trimEnd() + '\n').join('')
}

/** Local time, to the second: 2024-05-01 14:03:27. */
export function startedAt (ms: number): string {
  const d = new Date(ms)
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}

/** A duration in its two largest units: 850ms, 12s, 3m05s, 2h07m, 4d03h. */
export function duration (ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  const s = Math.floor(ms / 1000)
  const two = (n: number): string => String(n).padStart(2, '0')
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m`
  return `${Math.floor(s / 86400)}d${two(Math.floor(s / 3600) % 24)}h`
}

export function killCommand (): Command {
  return new Command('kill')
    .summary('end a proc')
    .description('end a running proc; ID is <peer>/<pid> as ww ps prints it, or a bare pid of this host. ' +
      'A proc that already ended is an error (exit 3)')
    .argument('<id>', 'the proc: <peer>/<pid> or <pid>')
    .addOption(homeOption())
    .action(async (id: string, flags: { home?: string }) => {
      const ref = parseProcId(id)
      await withHost(flags.home, async host => {
        using p = await procFor(host, ref)
        using killed = p.kill()
        const r = await killed
        if (r.alreadyEnded) throw new NotFound(`proc ${id} already ended: ${statusWord(readExitStatus(r.status))}`)
      })
    })
}
