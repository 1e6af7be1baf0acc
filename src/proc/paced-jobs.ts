// Synchronous jobs (instantiating a proc: a few ms each) run in arrival order, at most `budgetMs` of them per turn
// of the event loop; the rest wait for the next turn, so I/O (other clients, RPC) is served in between however
// many spawns arrive at once.

export class PacedJobs {
  private readonly queue: Array<() => void> = []
  private scheduled = false
  /** Time jobs run at once took since the last check phase of the event loop (reset there). */
  private promptMs = 0
  private resetQueued = false

  constructor (private readonly budgetMs: number) {}

  /**
   * Runs `job` in its turn; resolves with its result, or rejects with what it threw. With `prompt`, a job that
   * finds no queue runs at once while jobs run so since the loop last turned took less than the budget.
   */
  async run<T> (job: () => T, opts?: { prompt?: boolean }): Promise<T> {
    if (opts?.prompt === true && this.canRunNow) return this.runNow(job)
    return await new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        try { resolve(job()) } catch (err) { reject(err) }
      })
      this.schedule()
    })
  }

  /** Whether a prompt job would run at once: no queue, and the budget since the loop last turned not used up. */
  get canRunNow (): boolean { return this.queue.length === 0 && this.promptMs < this.budgetMs }

  /** Whether no job waits for a turn (not in a burst of spawns). */
  get idle (): boolean { return this.queue.length === 0 }

  /** Runs `job` at once, counting its time against this turn's budget (for a caller that checked canRunNow). */
  runNow<T> (job: () => T): T {
    const started = performance.now()
    try {
      return job()
    } finally {
      this.promptMs += performance.now() - started
      if (!this.resetQueued) {
        this.resetQueued = true
        setImmediate(() => { this.resetQueued = false; this.promptMs = 0 })
      }
    }
  }

  private schedule (): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => { this.drain() })
  }

  private drain (): void {
    this.scheduled = false
    const until = performance.now() + this.budgetMs
    do this.queue.shift()!()
    while (this.queue.length > 0 && performance.now() < until)
    if (this.queue.length > 0) this.schedule()
  }
}
