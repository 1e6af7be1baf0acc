// Sends to one channel with a bounded number of calls (and bytes) in flight, and an optional
// deadline on progress: while sends are unanswered, one must be answered every `timeoutMs`.
import type { Timeout } from '../src/errors.js'
import type { SenderClient } from '../src/schema/channel.rpc.js'
import type { Sender_Send$Params, Message } from '../src/schema/channel.js'
import { writeMessageField } from '../src/caps/chan-message.js'

const initMsg = (p: Sender_Send$Params): Message => p._initMsg()

export interface SendWindowOptions {
  /** Most sends without an answer. */
  maxCalls: number
  /** Most message bytes in those sends. */
  maxBytes: number
  /** Fail when sends are waiting and none has been answered for this long (the channel is full and nobody receives). */
  timeoutMs?: number
  /** The error a timeout throws. */
  timedOut: () => Timeout
  /**
   * Called once on a timeout, for whatever else the sender may be waiting on (its input): a wait
   * inside the window fails by itself.
   */
  onStall?: (err: Timeout) => void
}

interface InFlight { answer: ReturnType<SenderClient['send']>, bytes: number }

export class SendWindow {
  private readonly inFlight: InFlight[] = []
  private bytes = 0
  private timer: NodeJS.Timeout | undefined
  /** With a timeout: sends made, sends answered, and when the last was answered (or the first of a run made). */
  private issued = 0
  private answered = 0
  private lastProgress = 0
  private stalled: Timeout | undefined
  /** Fails the wait in progress, if any (one at a time: nothing accumulates on a long-lived promise). */
  private failWait: ((err: Error) => void) | undefined

  constructor (private readonly sender: SenderClient, private readonly opts: SendWindowOptions) {}

  /** Sends `data`; waits first while the window is full. */
  async send (data: Uint8Array): Promise<void> {
    while (this.inFlight.length >= this.opts.maxCalls || (this.inFlight.length > 0 && this.bytes + data.byteLength > this.opts.maxBytes)) {
      await this.settleOldest()
    }
    if (this.stalled !== undefined) throw this.stalled
    const answer = this.sender.send(p => { writeMessageField(p, 0, { data }, initMsg) })
    this.inFlight.push({ answer, bytes: data.byteLength })
    this.bytes += data.byteLength
    if (this.opts.timeoutMs !== undefined) this.watch(answer.results, this.opts.timeoutMs)
  }

  /** Waits until every send has been answered; throws the first failure. */
  async drain (): Promise<void> {
    while (this.inFlight.length > 0) await this.settleOldest()
  }

  /** Cancels the sends still in flight: a send canceled before it completes is withdrawn. */
  release (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    for (const f of this.inFlight.splice(0)) f.answer.release()
    this.bytes = 0
  }

  private async settleOldest (): Promise<void> {
    const oldest = this.inFlight[0]
    const results = oldest.answer.results // a native promise: no thenable job per send
    if (this.opts.timeoutMs === undefined) {
      await results
    } else {
      if (this.stalled !== undefined) throw this.stalled
      try {
        await new Promise((resolve, reject) => { this.failWait = reject; results.then(resolve, reject) })
      } finally {
        this.failWait = undefined
      }
    }
    this.inFlight.shift()
    this.bytes -= oldest.bytes
    oldest.answer.release()
  }

  /** Counts `results` in the progress the deadline looks at (answered in any order, failed too). */
  private watch (results: Promise<unknown>, timeoutMs: number): void {
    if (this.issued++ === this.answered) this.lastProgress = Date.now() // the first unanswered send of a run
    const answered = (): void => { this.answered++; this.lastProgress = Date.now() }
    results.then(answered, answered)
    if (this.timer === undefined) this.check(timeoutMs)
  }

  /** Fails the window when sends have waited `timeoutMs` with none answered; else checks again when that could next be so. */
  private check (timeoutMs: number): void {
    this.timer = undefined
    if (this.issued === this.answered) return // nothing waits: the next send starts the clock
    const idle = Date.now() - this.lastProgress
    if (idle < timeoutMs) {
      this.timer = setTimeout(() => { this.check(timeoutMs) }, timeoutMs - idle)
      return
    }
    const err = this.opts.timedOut()
    this.stalled = err
    this.failWait?.(err)
    this.opts.onStall?.(err)
  }
}
