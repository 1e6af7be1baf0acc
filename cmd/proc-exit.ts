// How a proc's end reaches the command line: ww run and ww wait exit with the guest's own code, or
// with one of these (and one line on stderr) when it did not exit by itself.
import type { ExitStatus } from '../src/proc/signals.js'

/** Exit codes of `ww run` and `ww wait` when the guest did not exit by itself. */
export const RUN_EXIT_CODES = { killed: 137, timedOut: 124, outOfFuel: 125, outOfMemory: 125, trapped: 125 } as const

export const RUN_EXIT_HELP = `${RUN_EXIT_CODES.killed} (killed), ${RUN_EXIT_CODES.timedOut} (timed out) or ` +
  `${RUN_EXIT_CODES.trapped} (out of fuel, out of memory, trapped)`

export function exitCodeOfStatus (st: ExitStatus): number {
  return st.reason === 'exited' ? st.code & 0xff : RUN_EXIT_CODES[st.reason]
}

/** A status in a word, as ps shows it: exited(0), killed, timedOut, ... */
export function statusWord (st: ExitStatus | undefined): string {
  if (st === undefined) return 'exited'
  return st.reason === 'exited' ? `exited(${st.code})` : st.reason
}

/** Sets this process's exit code from the proc's end, with one line on stderr unless it exited by itself. */
export function endLike (id: string, st: ExitStatus): void {
  if (st.reason !== 'exited') process.stderr.write(`ww: proc ${id} ${st.message}\n`)
  process.exitCode = exitCodeOfStatus(st)
}
