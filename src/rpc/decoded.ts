// One decoded form per received message kind, whoever read it: envelope.ts's readFast (the hot
// Calls, Returns of results, Finishes and Releases, straight from the bytes) or capnp-es (every
// other message and shape). Each handler of connection.ts takes that one form.
import * as rpc from 'capnp-es/capnp/rpc'
import type { PromisedTarget, CapDesc } from './wire/envelope-caps.js'
import { ProtocolError } from './protocol-error.js'
import { descsOf, readTransform } from './rpc-structs.js'

/** A Call (FastCall is one). */
export interface CallInfo {
  questionId: number
  interfaceId: bigint
  methodId: number
  /** rpc.Call.sendResultsTo.which(): caller, yourself, thirdParty. */
  sendResultsTo: number
  /** Call.onlyPromisePipeline: send no Return, keep the results for pipelined calls until Finish. */
  onlyPipeline: boolean
  /** An export id (importedCap), or a promised answer. */
  target: number | PromisedTarget
  /** The params payload, or the byte offset (segment 0) of its pointer. */
  params: rpc.Payload | number
  /** The params' cap table. */
  caps: CapDesc[]
  /** Byte offset (segment 0) of the params content pointer (-1 or undefined: not known). */
  contentPtr?: number
}

/** A Return (FastReturn is one, of results). */
export interface ReturnInfo {
  answerId: number
  releaseParamCaps: boolean
  noFinishNeeded: boolean
  /** rpc.Return.which(). */
  which: number
  /** For results: the payload, or the byte offset (segment 0) of its pointer. */
  resultsPtr: rpc.Payload | number
  /** Byte offset (segment 0) of the results content pointer (-1: not known). */
  contentPtr: number
  /** For results: their cap table (else empty). */
  caps: CapDesc[]
  exception: { type: number, reason: string } | undefined
  takeFromOtherQuestion: number
}

/** A Finish (FastFinish and rpc.Finish are both one). */
export interface FinishInfo { questionId: number, releaseResultCaps: boolean }

/** A Release (FastRelease and rpc.Release are both one). */
export interface ReleaseInfo { id: number, referenceCount: number }

export function callInfo (call: rpc.Call): CallInfo {
  return {
    questionId: call.questionId,
    interfaceId: call.interfaceId,
    methodId: call.methodId,
    sendResultsTo: call.sendResultsTo.which(),
    onlyPipeline: call.onlyPromisePipeline,
    target: targetOf(call.target),
    params: call.params,
    caps: descsOf(call.params)
  }
}

/** A MessageTarget: an export id (importedCap) or a promised answer. */
export function targetOf (t: rpc.MessageTarget): number | PromisedTarget {
  switch (t.which()) {
    case rpc.MessageTarget.IMPORTED_CAP: return t.importedCap
    case rpc.MessageTarget.PROMISED_ANSWER: return { questionId: t.promisedAnswer.questionId, transform: readTransform(t.promisedAnswer) }
    default: throw new ProtocolError(`unknown message target kind ${t.which()}`)
  }
}

const NO_CAPS: CapDesc[] = []

export function returnInfo (ret: rpc.Return): ReturnInfo {
  const which = ret.which()
  const results = which === rpc.Return.RESULTS ? ret.results : undefined
  return {
    answerId: ret.answerId,
    releaseParamCaps: ret.releaseParamCaps,
    noFinishNeeded: ret.noFinishNeeded,
    which,
    resultsPtr: results ?? -1,
    contentPtr: -1,
    caps: results !== undefined ? descsOf(results) : NO_CAPS,
    exception: which === rpc.Return.EXCEPTION ? { type: ret.exception.type, reason: ret.exception.reason } : undefined,
    takeFromOtherQuestion: which === rpc.Return.TAKE_FROM_OTHER_QUESTION ? ret.takeFromOtherQuestion : 0
  }
}
