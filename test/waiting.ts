// How tests wait. A test must hold at load 10 on 2 vCPUs, so it never bets on how fast something happens:
// it polls for the outcome with a generous deadline (eventually), or, for messages that travel in memory,
// lets the event loop turn rather than letting the clock run (turns). Strict timings belong in bench/.

/**
 * How long a test waits for something that should happen soon (a release to travel, nodes to converge).
 * Far beyond what it takes on an idle machine: a slow machine only makes the test slower, never red.
 */
export const patienceMs = 20_000

/** Resolves once `cond` holds (polled every 10 ms) with the milliseconds it took; rejects after `timeoutMs`. */
export async function eventually (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = patienceMs): Promise<number> {
  const started = Date.now()
  while (!(await cond())) {
    if (Date.now() - started > timeoutMs) throw new Error(`waited ${timeoutMs} ms for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return Date.now() - started
}

/**
 * Lets `n` turns of the event loop pass (setImmediate, no timer): enough for messages on in-memory transports,
 * which travel by microtasks and immediates, to arrive, however slow the machine is.
 */
export async function turns (n = 50): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise(resolve => setImmediate(resolve))
}
