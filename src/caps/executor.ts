// The Executor capability (schema executor.capnp) over one host's procs: spawn (the request read here, the proc
// started by whoever composes the host), ps and proc.
import type { ProcInfo } from '../proc/index.js'
import { ExecutorClient, Executor_Proc$Results$Caps, Executor_Spawn$Results$Caps } from '../schema/executor.rpc.js'
import type { ProcClient } from '../schema/proc.rpc.js'
import { writeProcInfo } from './proc-status.js'
import { readSpawnRequest, type ReadSpawn } from './spawn-request.js'

export interface ExecutorParts {
  /** This host's peer ID, as the procs' host in ps. */
  peerId: string
  /** Starts the request here and serves its Proc (yours to release); `signal` aborts when the caller cancels. */
  spawn: (request: ReadSpawn, signal: AbortSignal) => Promise<ProcClient>
  ps: () => ProcInfo[]
  /** The Proc of a running or retained proc (yours to release); NotFound for another pid. */
  proc: (pid: number) => ProcClient
}

export function serveExecutor (parts: ExecutorParts): ExecutorClient {
  return ExecutorClient.serve({
    spawn: async (params, results, ctx) => {
      using served = await parts.spawn(readSpawnRequest(params.request), ctx.signal)
      Executor_Spawn$Results$Caps.proc.set(results, served)
    },
    ps: (_params, results) => {
      const all = parts.ps()
      const list = results._initProcs(all.length)
      all.forEach((info, i) => { writeProcInfo(list.get(i), info, parts.peerId) })
    },
    proc: (params, results) => {
      using served = parts.proc(params.pid)
      Executor_Proc$Results$Caps.proc.set(results, served)
    }
  })
}
