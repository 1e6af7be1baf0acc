// ww deployments: every deployment of the cluster, desired and running, and where each replica runs.
import { Command } from 'commander'
import { readReplica } from '../src/caps/deployments-codec.js'
import type { DeploymentStatus } from '../src/schema/deploy.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'
import { versionText } from './version-text.js'

export interface DeploymentJson {
  name: string
  version: number
  author: string
  module: string
  /** Replicas asked for (--replicas). */
  count: number
  perHost: boolean
  where: string[]
  spread: string
  args: string[]
  /** Replicas the placement asks for (with --per-host: the matching hosts). */
  desired: number
  /** Replicas running now, as their hosts report. */
  running: number
  restarts: number
  unplaceable: boolean
  /** The host of each replica, by index. */
  placed: string[]
  replicas: Array<{ index: number, host: string, pid: number, state: string, restarts: number, lastExit: string, version: number }>
}

function toJson (d: DeploymentStatus): DeploymentJson {
  const s = d.spec
  const placed = [...d.placed]
  const replicas = [...d.replicas].map(r => ({ ...readReplica(r), host: r.host })).map(({ deployment: _d, ...r }) => r)
  return {
    name: d.name,
    version: Number(d.version),
    author: d.author,
    module: Buffer.from(s.module.toUint8Array()).toString('hex'),
    count: s.replicas,
    perHost: s.perHost,
    where: [...s.where],
    spread: s.spread,
    args: [...s.args],
    desired: s.perHost ? placed.length : s.replicas,
    running: replicas.filter(r => r.state === 'running').length,
    restarts: replicas.reduce((n, r) => n + r.restarts, 0),
    unplaceable: d.unplaceable,
    placed,
    replicas
  }
}

export function deploymentsCommand (): Command {
  return new Command('deployments')
    .summary('list the deployments: desired and running replicas, where each runs, restarts')
    .description('list every deployment of the cluster, one per line: NAME, DESIRED (replicas asked for; with --per-host the matching hosts), ' +
      'RUNNING (as their hosts report), RESTARTS (replicas restarted, in all), MODULE (SHA-256, first 12 hex digits), VERSION (the UTC time it was made, to the millisecond), PLACEMENT (--replicas, ' +
      '--per-host, --spread, --where; "unplaceable" when no live host matches). Then one line per replica: REPLICA (NAME#index), HOST, PID, ' +
      'STATE (starting, running, backoff: ended, restarted after a delay; failed: could not start, retried), RESTARTS, LAST EXIT. ' +
      'A host that does not answer is left out')
    .addOption(homeOption())
    .option('--json', 'print one JSON array of objects (version: the exact number, milliseconds; placed: the host of each replica by index; replicas: what the hosts report)')
    .action(async (flags: { home?: string, json?: boolean }) => {
      const list = await withHost(flags.home, async host => {
        using d = host.deployments()
        using ans = d.pipeline.deployments.list()
        return [...(await ans).deployments].map(toJson)
      })
      if (flags.json === true) {
        process.stdout.write(JSON.stringify(list) + '\n')
        return
      }
      const rows = list.map(d => [d.name, String(d.desired), String(d.running), String(d.restarts), d.module.slice(0, 12), versionText(d.version), placement(d)])
      process.stdout.write(table([['NAME', 'DESIRED', 'RUNNING', 'RESTARTS', 'MODULE', 'VERSION', 'PLACEMENT'], ...rows]))
      const reps = list.flatMap(d => d.replicas.map(r => [`${d.name}#${r.index}`, r.host, r.pid === 0 ? '-' : String(r.pid), r.state, String(r.restarts), r.lastExit]))
      if (reps.length > 0) process.stdout.write('\n' + table([['REPLICA', 'HOST', 'PID', 'STATE', 'RESTARTS', 'LAST EXIT'], ...reps]))
    })
}

function placement (d: DeploymentJson): string {
  const how = [d.perHost ? 'per host' : `${d.count} replicas`]
  if (d.spread !== '') how.push(`spread over ${d.spread}`)
  if (d.where.length > 0) how.push(`where ${d.where.join(' ')}`)
  if (d.unplaceable) how.push('unplaceable: no live host matches')
  return how.join(', ')
}

function table (rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
  return rows.map(r => r.map((cell, i) => i === r.length - 1 ? cell : cell.padEnd(widths[i])).join('  ').trimEnd() + '\n').join('')
}
