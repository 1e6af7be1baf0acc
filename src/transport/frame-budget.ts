// The bytes every connection of a node holds for frames that have not fully arrived. Each
// connection's frame is capped by maxMessageBytes; this caps their sum, so twenty connections
// each sending 60 MiB of a frame they never finish cannot add a gigabyte to the node.
import { LimitExceeded } from '../errors.js'

export class FrameBudget {
  private held = 0

  constructor (readonly bytes: number) {}

  /** Bytes held now by decoders' buffers. */
  get inUse (): number { return this.held }

  /** Takes `n` more bytes, or throws LimitExceeded (taking nothing) when they would pass the budget. */
  take (n: number): void {
    if (this.held + n > this.bytes) {
      throw new LimitExceeded(`frames not yet complete would hold ${this.held + n} bytes on this node's connections (budget ${this.bytes})`)
    }
    this.held += n
  }

  give (n: number): void { this.held -= n }

  private static readonly byBytes = new Map<number, FrameBudget>()

  /** The budget of this many bytes every connection in the process shares (one node per process: the node's budget). */
  static shared (bytes: number): FrameBudget {
    let b = FrameBudget.byBytes.get(bytes)
    if (b === undefined) FrameBudget.byBytes.set(bytes, b = new FrameBudget(bytes))
    return b
  }
}
