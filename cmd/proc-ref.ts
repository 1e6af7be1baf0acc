// A proc named on the command line: <peer ID>/<pid> as ww ps and ww run -d print it, or a bare pid of this host.
import { InvalidArgument } from '../src/errors.js'
import { Host_Peer$Results$Caps, type HostClient } from '../src/schema/host.rpc.js'
import { Executor_Proc$Results$Caps } from '../src/schema/executor.rpc.js'
import type { ProcClient } from '../src/schema/proc.rpc.js'

export interface ProcRef { peer?: string, pid: number }

/** A proc's ID as ps prints it: <peer ID>/<pid>. */
export const procId = (p: { peer: string, pid: number }): string => `${p.peer}/${p.pid}`

export function parseProcId (id: string): ProcRef {
  const slash = id.lastIndexOf('/')
  const peer = slash < 0 ? undefined : id.slice(0, slash)
  const digits = id.slice(slash + 1)
  const pid = Number(digits)
  if (!/^\d+$/.test(digits) || pid < 1 || pid > 0xffffffff || peer === '') {
    throw new InvalidArgument(`not a proc ID: ${JSON.stringify(id)} (want <peer>/<pid> as ww ps prints it, or a pid of this host)`)
  }
  return { peer, pid }
}

/** The Host capability of `peer` (this host when undefined); yours to release. */
export async function hostFor (host: HostClient, peer: string | undefined): Promise<HostClient> {
  if (peer === undefined) return host.dup()
  using ans = host.peer(p => { p.peer = peer })
  return Host_Peer$Results$Caps.host.get(await ans).dup()
}

/** The Proc capability of `ref` (NotFound for an unknown pid); yours to release. */
export async function procFor (host: HostClient, ref: ProcRef): Promise<ProcClient> {
  using h = await hostFor(host, ref.peer)
  using ex = h.executor()
  using ans = ex.pipeline.executor.proc(q => { q.pid = ref.pid })
  return Executor_Proc$Results$Caps.proc.get(await ans).dup()
}
