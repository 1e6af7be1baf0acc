// Bytes that many holders share: all the messages the channels of one host hold, say.
import { LimitExceeded } from '../errors.js'

export class ByteBudget {
  private used = 0

  constructor (readonly bytes: number, private readonly what: string) {}

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

  private static readonly byKey = new Map<string, ByteBudget>()

  /** The budget every user in the process (one node per process: the node's) shares for `what`. */
  static shared (bytes: number, what: string): ByteBudget {
    const key = `${what}\0${bytes}`
    let b = ByteBudget.byKey.get(key)
    if (b === undefined) ByteBudget.byKey.set(key, b = new ByteBudget(bytes, what))
    return b
  }
}
