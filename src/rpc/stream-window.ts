// Flow control of `-> stream` calls, kept on the capability's hook, so every reference to it
// (each dup()) shares one window, as in capnp C++ and Rust: a stream call resolves once the bytes
// in flight on the capability fit in the window; a failed stream call fails the next one.
export class StreamWindow {
  /** Bytes of the stream calls sent and not yet returned. */
  private inFlight = 0
  /** The first stream call's error: every later stream call (and done()) throws it. */
  private error?: Error = undefined
  private waiters: Array<() => void> = []

  /** Counts a stream call of `bytes` until `returned` settles; waits while the bytes in flight reach `windowBytes`. */
  async sent (bytes: number, returned: Promise<unknown>, windowBytes: number): Promise<void> {
    if (this.error !== undefined) throw this.error
    this.inFlight += bytes
    returned.then(() => {}, (err) => { this.error ??= err }).finally(() => {
      this.inFlight -= bytes
      if (this.inFlight < windowBytes) for (const w of this.waiters.splice(0)) w()
    })
    if (this.inFlight >= windowBytes) await new Promise<void>((resolve) => { this.waiters.push(resolve) })
    if (this.error !== undefined) throw this.error
  }

  /** Throws a stream call's error before one is sent. */
  check (): void { if (this.error !== undefined) throw this.error }

  /** Waits until every stream call on the capability has returned; throws the first error. */
  async done (): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((resolve) => { this.waiters.push(resolve) })
    if (this.error !== undefined) throw this.error
  }
}

/** The window of `hook` (a CapHook: made on first use). */
export function streamWindowOf (hook: { streamWindow?: StreamWindow }): StreamWindow {
  hook.streamWindow ??= new StreamWindow()
  return hook.streamWindow
}
