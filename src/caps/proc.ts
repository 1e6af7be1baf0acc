// The Proc capability over one src/proc Proc: wait, kill, stdio as channel capabilities, its log, info.
// Input (a proc spawned with stdin 'chan'): each Sender that stdin() hands out counts as one
// writer; when the last one is released the input ends (the guest reads end of file).
// A tied Proc capability (the one a `ww run` spawn returns) kills its proc when its last reference
// goes, which a dropped connection does: a proc whose client died has nobody reading its output.
import type { Chan } from '../csp/index.js'
import { Canceled, NotFound } from '../errors.js'
import { DEFAULT_RUNTIME_LIMITS, type Proc } from '../proc/index.js'
import { OutputStream } from '../schema/proc.js'
import { RecverClient, SenderClient } from '../schema/channel.rpc.js'
import {
  ProcClient, Proc_Stderr$Results$Caps, Proc_Stdin$Results$Caps, Proc_Stdout$Results$Caps
} from '../schema/proc.rpc.js'
import { writeExitStatus, writeProcInfo } from './proc-status.js'

/** Senders handed out for each proc's input and not yet released (any Proc capability of it). */
const writers = new WeakMap<Proc, number>()

export interface ServeProcOptions {
  /** Kill the proc when the last reference to this capability is released. */
  tied?: boolean
  /** Most bytes one log() call returns (RuntimeLimits.logReadBytes). */
  logReadBytes?: number
}

/** The message a tied proc is killed with when its caller lets go of it. */
export const CALLER_GONE = 'killed: the client that ran it went away'

/** Serves `proc` as a Proc capability (yours to release); `peer` is this host's peer ID. */
export function serveProc (proc: Proc, peer: string, opts: ServeProcOptions = {}): ProcClient {
  const logReadBytes = opts.logReadBytes ?? DEFAULT_RUNTIME_LIMITS.logReadBytes
  const output = (which: 'stdout' | 'stderr'): RecverClient => {
    const chan: Chan<Uint8Array> | undefined = proc[which]
    if (chan === undefined) throw new NotFound(`proc ${peer}/${proc.pid} is detached: its ${which} is in its log (ww logs)`)
    return RecverClient.serve({
      async recv (_params, results, ctx) {
        const data = await chan.recv({ signal: ctx.signal })
        if (ctx.signal.aborted) { chan.putBack(data); throw new Canceled('recv canceled') }
        if (data.byteLength > 0) results._initMsg()._initData(data.byteLength).copyBuffer(data)
      }
    })
  }
  return ProcClient.serve({
    async wait (_params, results, ctx) {
      const status = await raceAbort(proc.wait(), ctx.signal)
      writeExitStatus(results._initStatus(), status)
    },
    kill (params, results) {
      const status = proc.exitStatus
      results.alreadyEnded = status !== undefined
      if (status !== undefined) writeExitStatus(results._initStatus(), status)
      else proc.kill(killMessage(params.reason))
    },
    async log (params, results, ctx) {
      const log = params.stream === OutputStream.STDERR ? proc.log.stderr : proc.log.stdout
      const from = Number(params.from)
      if (params.wait) await log.more(from, ctx.signal)
      if (ctx.signal.aborted) throw new Canceled('log read canceled')
      const r = log.read(from, logReadBytes)
      results.start = BigInt(r.start)
      results.end = BigInt(r.end)
      results.ended = r.ended
      if (r.data.byteLength > 0) results._initData(r.data.byteLength).copyBuffer(r.data)
    },
    stdout (_params, results) {
      using r = output('stdout')
      Proc_Stdout$Results$Caps.recver.set(results, r)
    },
    stderr (_params, results) {
      using r = output('stderr')
      Proc_Stderr$Results$Caps.recver.set(results, r)
    },
    stdin (_params, results) {
      const chan = proc.stdin
      if (chan === undefined) throw new NotFound(`proc ${proc.pid} takes no input`)
      writers.set(proc, (writers.get(proc) ?? 0) + 1)
      let released = false
      using s = SenderClient.serve({
        async send (params, _results, ctx) {
          if (!params.msg._hasData() || params.msg.data.length === 0) return // an empty read would mean end of input
          await chan.send(params.msg.data.toUint8Array().slice(), { signal: ctx.signal })
        },
        [Symbol.dispose] () {
          if (released) return
          released = true
          const left = (writers.get(proc) ?? 1) - 1
          writers.set(proc, left)
          if (left === 0) chan.close()
        }
      })
      Proc_Stdin$Results$Caps.sender.set(results, s)
    },
    info (_params, results) {
      writeProcInfo(results._initInfo(), proc.info(), peer)
    },
    [Symbol.dispose] () {
      if (opts.tied === true) proc.kill(CALLER_GONE)
    }
  })
}

/** Most bytes of a kill's reason kept in the proc's status message. */
const KILL_REASON_BYTES = 200

function killMessage (reason: string): string {
  if (reason === '') return 'killed'
  return `killed: ${Buffer.from(reason).subarray(0, KILL_REASON_BYTES).toString()}`
}

async function raceAbort<T> (p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new Canceled('canceled')
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(new Canceled('canceled')) }
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(v => { signal.removeEventListener('abort', onAbort); resolve(v) },
      err => { signal.removeEventListener('abort', onAbort); reject(err) })
  })
}
