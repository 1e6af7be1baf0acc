// Why a guest stopped, thrown through the guest's stack by host functions and the driver.

export type ExitReason = 'exited' | 'killed' | 'outOfFuel' | 'outOfMemory' | 'trapped' | 'timedOut'

export interface ExitStatus {
  reason: ExitReason
  /** The guest's exit code when reason = exited; -1 otherwise. */
  code: number
  message: string
}

/** Thrown to end a guest; carries the status the proc ends with. */
export class ProcEnd extends Error {
  constructor (readonly status: ExitStatus) {
    super(status.message)
    this.name = 'ProcEnd'
  }
}

export function exited (code: number): ProcEnd {
  return new ProcEnd({ reason: 'exited', code, message: `exited with code ${code}` })
}

export function ended (reason: Exclude<ExitReason, 'exited'>, message: string): ProcEnd {
  return new ProcEnd({ reason, code: -1, message })
}
