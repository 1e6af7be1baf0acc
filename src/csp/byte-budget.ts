// Bytes that many holders share: all the messages the channels of one host hold, say.
import { LimitExceeded } from '../errors.js'
import { DEFAULT_CHAN_LIMITS } from './limits.js'

export class ByteBudget {
  private used = 0

  constructor (public bytes: number, private readonly what: string) {}

  get inUse (): number { return this.used }

  /** Whether `n` more bytes fit. */
  fits (n: number): boolean { return this.used + n <= this.bytes }

  /** Takes `n` bytes, or throws LimitExceeded (taking nothing) when they do not fit. */
  take (n: number): void {
    if (!this.fits(n)) throw this.exceeded(n)
    this.used += n
  }

  /** Takes `n` bytes whether or not they fit (a message given back must go somewhere). */
  force (n: number): void { this.used += n }

  give (n: number): void { this.used -= n }

  exceeded (n: number): LimitExceeded {
    return new LimitExceeded(`${this.what} would hold ${this.used + n} bytes (budget ${this.bytes})`)
  }
}

/**
 * The bytes all the channels of this process (one node per process: its host) that know their
 * messages' sizes may hold; the node sets its size at start (`ww start --max-buffered-bytes`).
 */
export const hostChanBudget = new ByteBudget(DEFAULT_CHAN_LIMITS.maxBufferedBytes, "this host's channels")
