/**
 * Runs `poll` now and again and again: each round waits at least `everyMs` after the last ended, or `costFactor`
 * times as long as the last took, whichever is longer (a slow node is asked less often, not more).
 */
export function pollWithBackoff (poll: () => Promise<void>, everyMs: number, costFactor: number): void {
  const tick = (): void => {
    const began = performance.now()
    void poll().finally(() => {
      setTimeout(tick, Math.max(everyMs, costFactor * (performance.now() - began)))
    })
  }
  tick()
}
