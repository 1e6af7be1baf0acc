// ExitStatus and ProcInfo between src/proc and the wire (schema proc.capnp).
import type { ExitReason as Reason, ExitStatus, ProcInfo } from '../proc/index.js'
import { ExitReason, ProcState, type ExitStatus as WireStatus, type ProcInfo as WireInfo } from '../schema/proc.js'

const toWire: Record<Reason, ExitReason> = {
  exited: ExitReason.EXITED,
  killed: ExitReason.KILLED,
  outOfFuel: ExitReason.OUT_OF_FUEL,
  outOfMemory: ExitReason.OUT_OF_MEMORY,
  trapped: ExitReason.TRAPPED,
  timedOut: ExitReason.TIMED_OUT
}
const fromWire = new Map<number, Reason>(Object.entries(toWire).map(([k, v]) => [v, k as Reason]))

export function writeExitStatus (to: WireStatus, s: ExitStatus): void {
  to.reason = toWire[s.reason]
  to.code = s.code
  to.message = s.message
}

export function readExitStatus (s: WireStatus): ExitStatus {
  return { reason: fromWire.get(s.reason) ?? 'trapped', code: s.code, message: s.message }
}

export function writeProcInfo (to: WireInfo, info: ProcInfo, peer: string): void {
  to.pid = info.pid
  to.peer = peer
  to.name = info.name
  to._initModuleHash(info.moduleHash.byteLength).copyBuffer(info.moduleHash)
  const args = to._initArgs(info.args.length)
  info.args.forEach((a, i) => args.set(i, a))
  to.startedMs = BigInt(info.startedMs)
  to.endedMs = BigInt(info.endedMs ?? 0)
  to.uptimeMs = BigInt(info.uptimeMs)
  to.state = info.state === 'running' ? ProcState.RUNNING : ProcState.EXITED
  if (info.status !== undefined) writeExitStatus(to._initStatus(), info.status)
  const limits = to._initLimits()
  limits.memoryBytes = BigInt(info.limits.memoryBytes)
  limits.fuel = BigInt(info.limits.fuel)
  limits.timeoutMs = BigInt(info.limits.timeoutMs)
}

/** A ProcInfo read off the wire, as plain data (for `ww ps --json`). */
export interface ProcInfoJson {
  pid: number
  peer: string
  name: string
  moduleHash: string
  args: string[]
  /** Unix time in milliseconds. */
  startedMs: number
  /** Unix time in milliseconds, once it ended. */
  endedMs?: number
  /** How long it has run (running) or ran (exited), by its host's clock. */
  uptimeMs: number
  state: 'running' | 'exited'
  status?: ExitStatus
  /** What it runs within: memoryBytes (the maximum in force), fuel (0 = unlimited), timeoutMs (0 = none). */
  limits: { memoryBytes: number, fuel: number, timeoutMs: number }
}

export function readProcInfo (i: WireInfo): ProcInfoJson {
  const out: ProcInfoJson = {
    pid: i.pid,
    peer: i.peer,
    name: i.name,
    moduleHash: Buffer.from(i.moduleHash.toUint8Array()).toString('hex'),
    args: [...i.args],
    startedMs: Number(i.startedMs),
    uptimeMs: Number(i.uptimeMs),
    state: i.state === ProcState.RUNNING ? 'running' : 'exited',
    limits: i._hasLimits()
      ? { memoryBytes: Number(i.limits.memoryBytes), fuel: Number(i.limits.fuel), timeoutMs: Number(i.limits.timeoutMs) }
      : { memoryBytes: 0, fuel: 0, timeoutMs: 0 } // a host older than limits in ProcInfo
  }
  if (i.state === ProcState.EXITED) out.endedMs = Number(i.endedMs)
  if (i.state === ProcState.EXITED && i._hasStatus()) out.status = readExitStatus(i.status)
  return out
}
