// The per-call records of the question and answer tables. They are classes, not object literals,
// on purpose: V8 tracks an allocation site for every literal and, when most of a site's objects
// survive a scavenge, allocates its later objects straight in the old generation ("pretenuring").
// A pretenured record keeps everything it points to (answer, response, message buffers) alive
// through every scavenge until the next full GC, so a whole call gets promoted; the survivors then
// confirm the decision. Objects made by a constructor have no allocation site, so this cannot start.
import type * as capnp from 'capnp-es'
import { PendingAnswer, type QuestionSide, type Response } from './hooks.js'
import { type PeerCalls, PipelineHook } from './peer-hooks.js'

/** Export ids a message's cap table made: lists only ever replaced, so one empty list serves all. */
export const NO_EXPORTS: readonly number[] = []

/** What a question needs of its connection. */
export interface QuestionConn extends PeerCalls {
  sendFinish: (id: number, q: Question) => void
}

/** A call we made, until its Return and our Finish. */
export class Question implements QuestionSide {
  readonly answer = new PendingAnswer()
  /** The Call, while it waits in the outbox (a handler's tail call may still redirect it). */
  pending?: capnp.Message = undefined
  returned = false
  finishSent = false
  /** Made with onlyPromisePipeline: the peer may send no Return, so the id is freed at our Finish. */
  pipelineOnly = false
  paramExports: readonly number[] = NO_EXPORTS
  /** The pipelined capabilities made on this question's answer (empty until the first). */
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

/** A call the peer made, until its Finish. */
export class AnswerEntry {
  readonly answer = new PendingAnswer()
  returnSent = false
  /** Called with onlyPromisePipeline: no Return is sent; the results serve pipelined calls until Finish. */
  pipelineOnly = false
  response?: Response = undefined
  resultExports: readonly number[] = NO_EXPORTS
  /** The call's method, kept only for a connection's CallObserver (methodId -1: not kept). */
  interfaceId = 0n
  methodId = -1
}
