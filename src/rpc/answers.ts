// The answers table: calls (and Bootstraps) the peer made to us, keyed by its question ids.
//
// Ids: the peer picks them (its questions). An entry is added when the Call arrives and freed at
// the peer's Finish, or as soon as our Return says noFinishNeeded (results without capabilities),
// or at disconnect (the call is canceled). Entries are classes (see questions.ts on pretenuring).
import { LimitExceeded } from '../errors.js'
import { PendingAnswer, type Response } from './hooks.js'
import { IdTable } from './id-table.js'
import { ProtocolError } from './protocol-error.js'
import { NO_EXPORTS } from './exports.js'

/** A call the peer made, until its Finish. */
export class AnswerEntry {
  /** The call's outcome (what the target's handler or a forwarded call settles). */
  readonly answer = new PendingAnswer()
  /** Our Return went out (or takeFromOtherQuestion/yourself did): a later outcome sends nothing. */
  returnSent = false
  /** Called with onlyPromisePipeline: no Return is sent; the results serve pipelined calls until Finish. */
  pipelineOnly = false
  /** The results, kept for calls pipelined on them until the Finish; released when the entry is dropped. */
  response?: Response = undefined
  /**
   * Export ids our Return's cap table referenced, one export reference each: released when the
   * Finish says releaseResultCaps (else they stay the peer's to Release).
   */
  resultExports: readonly number[] = NO_EXPORTS
  /** The call's interface, kept only for a connection's CallObserver (with methodId). */
  interfaceId = 0n
  /** The call's method, kept only for a connection's CallObserver (-1: not kept). */
  methodId = -1
}

export class AnswerTable {
  private readonly ids = new IdTable<AnswerEntry>()

  constructor (private readonly max: number) {}

  get size (): number { return this.ids.size }

  get (id: number): AnswerEntry | undefined { return this.ids.get(id) }

  has (id: number): boolean { return this.ids.has(id) }

  /** A new call from the peer under its question id `id`. */
  add (id: number): AnswerEntry {
    if (this.ids.has(id)) throw new ProtocolError(`question id ${id} reused while still in use`)
    if (this.ids.size >= this.max) throw new LimitExceeded(`more than ${this.max} calls in flight from the peer`)
    const entry = new AnswerEntry()
    this.ids.set(id, entry)
    return entry
  }

  delete (id: number): void { this.ids.delete(id) }

  /** At disconnect: every call canceled and its results released. */
  cancelAll (): void {
    for (const a of this.ids.values()) { a.answer.cancel(); dropAnswer(a) }
    this.ids.clear()
  }
}

/** Releases the results an answer kept for pipelining. */
export function dropAnswer (entry: AnswerEntry): void {
  entry.response?.release()
  entry.response = undefined
}
