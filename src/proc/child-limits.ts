// A guest's child lives inside its parent's limits: memory, fuel and timeout are the parent's or narrower.
// A child that asks for more is clamped to the parent's (not refused): what it gets is what it may have.
// Asking for nothing (0 or absent) means the parent's limit.
import { procLimits, type ProcLimits } from './limits.js'

/** 0 = unlimited (fuel, timeout): the narrower of two such limits. */
function narrower (parent: number, asked: number | undefined): number {
  if (asked === undefined || asked <= 0) return parent
  return parent > 0 ? Math.min(parent, asked) : asked
}

/** The limits a child of a proc limited by `parent` runs with when it asks for `asked`. */
export function childLimits (parent: ProcLimits, asked: Partial<ProcLimits> = {}): ProcLimits {
  const p = procLimits(parent)
  return {
    memoryBytes: narrower(p.memoryBytes, asked.memoryBytes),
    fuel: narrower(p.fuel, asked.fuel),
    timeoutMs: narrower(p.timeoutMs, asked.timeoutMs)
  }
}

/** Why a child is killed when its parent ends (unless it was spawned detached), and the message it ends with. */
export const PARENT_ENDED_REASON = 'its parent ended'
export const PARENT_ENDED = `killed: ${PARENT_ENDED_REASON}`
