// Timing ops against each other: every round runs each op once, in turn, so JIT warm-up, GC
// state and machine load drift affect them alike. Each op starts from a quiet connection: an
// untimed `settle` round trip after every op carries what it left to send lazily (Finish,
// Release) and returns once the peer has handled that, so no op pays for another's cleanup.

export interface Op { run: () => Promise<void>, after?: () => Promise<void> }

/**
 * Median microseconds of each op over `rounds` rounds, after `warmup` untimed rounds; `after`
 * and `settle` run untimed.
 */
export async function medians (ops: Op[], rounds: number, warmup: number, settle: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) for (const op of ops) { await op.run(); await op.after?.(); await settle() }
  const times = ops.map(() => new Array<number>(rounds))
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < ops.length; k++) {
      const t = process.hrtime.bigint()
      await ops[k].run()
      times[k][i] = Number(process.hrtime.bigint() - t) / 1000
      await ops[k].after?.()
      await settle()
    }
  }
  return times.map((ts) => ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)])
}
