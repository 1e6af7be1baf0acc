// Synchronous jobs (instantiating a proc: a few ms each) run in arrival order, at most `budgetMs` of them per turn
// of the event loop; the rest wait for the next turn, so I/O (other clients, RPC) is served in between however
// many spawns arrive at once.

export class PacedJobs {
  private readonly queue: Array<() => void> = []
  private scheduled = false

  constructor (private readonly budgetMs: number) {}

  /** Runs `job` in its turn; resolves with its result, or rejects with what it threw. */
  async run<T> (job: () => T): Promise<T> {
    return await new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        try { resolve(job()) } catch (err) { reject(err) }
      })
      this.schedule()
    })
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
