// Why a guest stopped, thrown through the guest's stack by host functions and the driver.

export type ExitReason = 'exited' | 'killed' | 'outOfFuel' | 'outOfMemory' | 'trapped' | 'timedOut'

export interface ExitStatus {
  reason: ExitReason
  /** The guest's exit code when reason = exited; -1 otherwise. */
  code: number
  message: string
}

/**
 * Thrown to end a guest; carries the status the proc ends with. It has no stack trace: a captured trace holds
 * every frame's function, the guest's exports among them, and so the ended proc's whole instance and memory for
 * as long as the proc stays listed (maxExitedKept); and capturing one is most of the cost of making it.
 */
export class ProcEnd extends Error {
  constructor (readonly status: ExitStatus) {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      super(status.message)
    } finally {
      Error.stackTraceLimit = limit
    }
    this.name = 'ProcEnd'
  }
}

export function exited (code: number): ProcEnd {
  return new ProcEnd({ reason: 'exited', code, message: `exited with code ${code}` })
}

export function ended (reason: Exclude<ExitReason, 'exited'>, message: string): ProcEnd {
  return new ProcEnd({ reason, code: -1, message })
}
