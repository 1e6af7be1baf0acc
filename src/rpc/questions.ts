// The questions table: calls (and Bootstraps) we sent, keyed by question ids we pick.
//
// Ids: the smallest free id (IdTable.add); calls made with onlyPromisePipeline take ids with the
// high bit set, in turn (see QuestionTable). An entry is added when the Call leaves and freed when
// both the Return has come and our Finish is sent (or the Return said noFinishNeeded); a
// pipeline-only question is freed at our Finish, Return or not. All are rejected at disconnect.
//
// The entries are classes, not object literals, on purpose: V8 tracks an allocation site for every
// literal and, when most of a site's objects survive a scavenge, allocates its later objects
// straight in the old generation ("pretenuring"). A pretenured record keeps everything it points to
// (answer, response, message buffers) alive through every scavenge until the next full GC, so a
// whole call gets promoted; the survivors then confirm the decision. Objects made by a constructor
// have no allocation site, so this cannot start. The same holds for answers.ts.
import type * as capnp from 'capnp-es'
import { PendingAnswer, type QuestionSide } from './hooks.js'
import { type PeerCalls, PipelineHook } from './peer-hooks.js'
import { IdTable } from './id-table.js'
import { NO_EXPORTS } from './exports.js'

/** What a question needs of its connection. */
export interface QuestionConn extends PeerCalls {
  sendFinish: (id: number, q: Question) => void
}

/** A call we made, until its Return and our Finish. */
export class Question implements QuestionSide {
  /** What the caller holds (its Answer): settled by the Return, rejected at disconnect. */
  readonly answer = new PendingAnswer()
  /** The Call, while it waits in the outbox (a handler's tail call may still redirect it). */
  pending?: capnp.Message = undefined
  /** The Return came (or the peer said Unimplemented): a second one is a protocol error. */
  returned = false
  /** Our Finish went out (or none is needed: noFinishNeeded). With `returned`, the entry is freed. */
  finishSent = false
  /** Made with onlyPromisePipeline: the peer may send no Return, so the id is freed at our Finish. */
  pipelineOnly = false
  /**
   * Export ids the params' cap table referenced, one export reference each: released when the
   * Return says releaseParamCaps (else they stay the peer's to Release).
   */
  paramExports: readonly number[] = NO_EXPORTS
  /** The pipelined capabilities made on this question's answer (they may need an embargo at the Return). */
  pipelines: PipelineHook[] | undefined = undefined
  /** Its id in the questions table (set when added). */
  id = -1
  /** The connection it was asked on (set when added). */
  conn: QuestionConn | undefined = undefined

  /** A pipelined capability in this question's results: calls on it go to the peer at once. */
  pipelineOf (transform: number[]): PipelineHook {
    const p = new PipelineHook(this.conn!, this.id, transform)
    ;(this.pipelines ??= []).push(p)
    return p
  }

  /** The caller gave up: Finish. */
  canceled (): void {
    this.conn!.sendFinish(this.id, this)
  }
}

/** The first id of the questions made with Call.onlyPromisePipeline (the high bit set). */
export const PIPELINE_ONLY_IDS = 0x80000000

/**
 * Question ids. A call made with onlyPromisePipeline may never get a Return, so its id is freed at
 * our Finish, yet a peer that ignores the hint still sends one later. As rpc.capnp advises, such
 * calls take ids with the high bit set, in turn, reused only after all 2^31 went by, so a late
 * Return can never be taken for a newer call's.
 */
export class QuestionTable<T> {
  private readonly ids = new IdTable<T>()
  private wrapped = false

  /** `nextPipelineOnly`: the first pipeline-only id to give out (tests start near the wrap). */
  constructor (private nextPipelineOnly = PIPELINE_ONLY_IDS) {}

  get size (): number { return this.ids.size }

  add (value: T, pipelineOnly: boolean): number {
    if (!pipelineOnly) return this.ids.add(value)
    let id = this.nextPipelineOnly
    while (this.ids.has(id)) id = next(id) // only after a wrap, past a question still open
    this.nextPipelineOnly = next(id)
    if (this.nextPipelineOnly === PIPELINE_ONLY_IDS) this.wrapped = true
    this.ids.set(id, value)
    return id
  }

  /** Whether a pipeline-only id was ever given out (a late Return may name it; any other is a peer's error). */
  issued (id: number): boolean {
    return id >= PIPELINE_ONLY_IDS && (this.wrapped || id < this.nextPipelineOnly)
  }

  get (id: number): T | undefined { return this.ids.get(id) }

  delete (id: number): void { this.ids.delete(id) }

  entries (): Array<[number, T]> { return this.ids.entries() }
}

const next = (id: number): number => id === 0xffffffff ? PIPELINE_ONLY_IDS : id + 1
