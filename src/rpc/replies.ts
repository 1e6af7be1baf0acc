// Our side of an answer: the Return for a call the peer made, sent once its outcome is known
// (or results kept, without a Return, for a call made with onlyPromisePipeline).
import * as rpc from 'capnp-es/capnp/rpc'
import { Canceled } from '../errors.js'
import { Response, setCapTable } from './hooks.js'
import { copyLaidOut, writeReturnHeader } from './wire/envelope.js'
import { EMPTY_RESULTS } from './wire/empty-results.js'
import { type AnswerEntry, dropAnswer } from './answers.js'
import { writeCapTable } from './cap-descriptors.js'
import { writeException } from './exception.js'
import type { Session } from './session.js'

/** Sends the Return of answer `id` when its outcome is known (at once if it is already). */
export function replyWhenSettled (s: Session, id: number, entry: AnswerEntry): void {
  const a = entry.answer
  if (a.response !== undefined) { entry.response = a.response; sendReturn(s, id, entry, a.response); return }
  if (a.error !== undefined) { sendReturn(s, id, entry, a.error); return }
  entry.answer.promise.then((r) => { entry.response = r; sendReturn(s, id, entry, r) },
    (err) => { sendReturn(s, id, entry, err) })
}

/** A call made with onlyPromisePipeline: no Return; its results serve pipelined calls until the Finish. */
export function holdForPipelining (s: Session, id: number, entry: AnswerEntry): void {
  entry.pipelineOnly = true
  const keep = (r: Response): void => {
    if (s.answers.get(id) === entry) entry.response = r
    else r.release() // finished (or the connection closed) before the call ended
  }
  const a = entry.answer
  if (a.response !== undefined) keep(a.response)
  else if (a.error === undefined) a.promise.then(keep, () => {})
}

/** The Return of answer `id`: its results, `'elsewhere'` (resultsSentElsewhere), or an error (exception, or canceled). */
export function sendReturn (s: Session, id: number, entry: AnswerEntry, outcome: Response | 'elsewhere' | unknown): void {
  if (entry.returnSent || s.done) return
  entry.returnSent = true
  if (outcome instanceof Response) {
    const caps = outcome.caps
    // Results without capabilities serve no pipelined call and hold nothing for a Finish to
    // release: the answer is dropped now, and the caller told so (what C++ does).
    const noFinish = caps.length === 0 && !entry.pipelineOnly
    if (outcome.msg === EMPTY_RESULTS) {
      s.sendEmptyReturn(id, noFinish)
    } else {
      // The same results may be sent again (forwarded, taken by another question): the first send
      // writes this message in place and leaves it untouched until its write; later ones copy it.
      let msg = outcome.msg
      let once = !outcome.sentOnce
      if (!once) {
        const copy = copyLaidOut(msg)
        if (copy !== undefined) { msg = copy; setCapTable(msg, caps); once = true }
      }
      const fast = writeReturnHeader(msg, id, noFinish)
      if (!fast) {
        const ret = new rpc.Message(msg.getSegment(0), 0).return
        ret.answerId = id
        ret.releaseParamCaps = false
        ret.noFinishNeeded = noFinish
      }
      try {
        if (!fast || caps.length > 0) {
          entry.resultExports = writeCapTable(s, msg, caps, () => msg === outcome.msg ? outcome.payload : new rpc.Message(msg.getSegment(0), 0).return.results, fast)
        }
      } catch (err) {
        entry.returnSent = false
        sendReturn(s, id, entry, err)
        return
      }
      // `once` (written at the end of the tick) only when nothing rewrites the message before then.
      once &&= fast
      if (once) outcome.sentOnce = true
      s.send(msg, once)
    }
    if (noFinish && s.answers.get(id) === entry) s.answers.delete(id)
  } else {
    const { msg, root } = s.newMessage()
    const ret = root._initReturn()
    ret.answerId = id
    ret.releaseParamCaps = false
    if (outcome === 'elsewhere') ret.resultsSentElsewhere = true
    else if (outcome instanceof Canceled) ret.canceled = true
    else {
      writeException(ret._initException(), outcome)
      if (entry.methodId >= 0) s.observer?.error(entry.interfaceId, entry.methodId)
    }
    s.send(msg)
  }
  if (!s.answers.has(id)) dropAnswer(entry)
}
