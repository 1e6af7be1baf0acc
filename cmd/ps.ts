// ww ps / ww kill: the procs of this host (or of every host) and ending one.
import { Command } from 'commander'
import { InvalidArgument } from '../src/errors.js'
import { readProcInfo, type ProcInfoJson } from '../src/host/exit-status.js'
import { Host_Peer$Results$Caps, type HostClient } from '../src/schema/host.rpc.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'

/** A proc's ID as ps prints it and kill takes it: <peer ID>/<pid>. */
export const procId = (p: { peer: string, pid: number }): string => `${p.peer}/${p.pid}`

async function hostFor (host: HostClient, peer: string | undefined): Promise<HostClient> {
  if (peer === undefined) return host.dup()
  using ans = host.peer(p => { p.peer = peer })
  return Host_Peer$Results$Caps.host.get(await ans).dup()
}

async function psOf (host: HostClient): Promise<ProcInfoJson[]> {
  using ex = host.executor()
  using ans = ex.pipeline.executor.ps()
  return [...(await ans).procs].map(readProcInfo)
}

export function psCommand (): Command {
  return new Command('ps')
    .description('list the procs of this host (running, then the last ones that ended): ID (<peer>/<pid>), STATE, NAME, ARGS')
    .addOption(homeOption())
    .option('--all', 'list the procs of every live host')
    .option('--json', 'print objects, one JSON array')
    .action(async (flags: { home?: string, all?: boolean, json?: boolean }) => {
      const procs = await withHost(flags.home, async host => {
        if (flags.all !== true) return await psOf(host)
        using cluster = host.cluster()
        using ans = cluster.pipeline.view.ls()
        const peers = [...(await ans).hosts].map(h => h.peer)
        const lists = await Promise.all(peers.map(async peer => {
          using h = await hostFor(host, peer)
          return await psOf(h)
        }))
        return lists.flat()
      })
      if (flags.json === true) {
        process.stdout.write(JSON.stringify(procs) + '\n')
        return
      }
      for (const p of procs) {
        const state = p.state === 'running' ? 'running' : `${p.status?.reason ?? 'exited'}${p.status?.reason === 'exited' ? `(${p.status.code})` : ''}`
        process.stdout.write(`${procId(p)}\t${state}\t${p.name}\t${p.args.join(' ')}\n`)
      }
    })
}

export function killCommand (): Command {
  return new Command('kill')
    .description('end a proc; ID is <peer>/<pid> as ww ps prints it, or a bare pid of this host')
    .argument('<id>', 'the proc: <peer>/<pid> or <pid>')
    .addOption(homeOption())
    .action(async (id: string, flags: { home?: string }) => {
      const slash = id.lastIndexOf('/')
      const peer = slash < 0 ? undefined : id.slice(0, slash)
      const pid = Number(id.slice(slash + 1))
      if (!Number.isInteger(pid) || pid < 1 || pid > 0xffffffff) throw new InvalidArgument(`not a proc ID: ${JSON.stringify(id)} (want <peer>/<pid>)`)
      await withHost(flags.home, async host => {
        using h = await hostFor(host, peer)
        using ex = h.executor()
        using p = ex.pipeline.executor.proc(q => { q.pid = pid })
        using killed = p.pipeline.proc.kill()
        await killed
      })
    })
}
