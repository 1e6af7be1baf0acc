// The rpc.capnp structs a connection reads and writes through capnp-es, where envelope.ts's
// byte-level fast path does not apply: message targets, promised-answer transforms and cap
// descriptors.
import * as rpc from 'capnp-es/capnp/rpc'
import { InvalidArgument } from '../errors.js'
import type { CallTarget } from './wire/envelope.js'
import { CAP_NONE, CAP_RECEIVER_ANSWER, CAP_RECEIVER_HOSTED, CAP_SENDER_HOSTED, CAP_SENDER_PROMISE, CAP_THIRD_PARTY_HOSTED, type CapDesc } from './wire/envelope-caps.js'
import { ProtocolError } from './protocol-error.js'

function writeTransform (pa: rpc.PromisedAnswer, transform: number[]): void {
  const ops = pa._initTransform(transform.length)
  for (let i = 0; i < transform.length; i++) ops.get(i).getPointerField = transform[i]
}

export function readTransform (pa: rpc.PromisedAnswer): number[] {
  if (!pa._hasTransform()) return []
  const ops = pa.transform
  const out: number[] = []
  for (let i = 0; i < ops.length; i++) {
    const op = ops.get(i)
    if (op.which() === rpc.PromisedAnswer_Op.GET_POINTER_FIELD) out.push(op.getPointerField)
  }
  return out
}

/** The descriptors of a payload's cap table read by capnp-es. */
export function descsOf (payload: rpc.Payload): CapDesc[] {
  if (!payload._hasCapTable()) return []
  const list = payload.capTable
  const out = new Array<CapDesc>(list.length)
  for (let i = 0; i < list.length; i++) out[i] = descOf(list.get(i))
  return out
}

export function descOf (d: rpc.CapDescriptor): CapDesc {
  switch (d.which()) {
    case rpc.CapDescriptor.NONE: return { kind: CAP_NONE, id: 0 }
    case rpc.CapDescriptor.SENDER_HOSTED: return { kind: CAP_SENDER_HOSTED, id: d.senderHosted }
    case rpc.CapDescriptor.SENDER_PROMISE: return { kind: CAP_SENDER_PROMISE, id: d.senderPromise }
    case rpc.CapDescriptor.RECEIVER_HOSTED: return { kind: CAP_RECEIVER_HOSTED, id: d.receiverHosted }
    case rpc.CapDescriptor.RECEIVER_ANSWER: {
      const ra = d.receiverAnswer
      return { kind: CAP_RECEIVER_ANSWER, id: 0, answer: { questionId: ra.questionId, transform: readTransform(ra) } }
    }
    case rpc.CapDescriptor.THIRD_PARTY_HOSTED: return { kind: CAP_THIRD_PARTY_HOSTED, id: d.thirdPartyHosted.vineId }
    default: throw new ProtocolError(`unknown CapDescriptor kind ${d.which()}`)
  }
}

export function writeDesc (d: rpc.CapDescriptor, desc: CapDesc): void {
  switch (desc.kind) {
    case CAP_NONE: d.none = true; break
    case CAP_SENDER_HOSTED: d.senderHosted = desc.id; break
    case CAP_SENDER_PROMISE: d.senderPromise = desc.id; break
    case CAP_RECEIVER_HOSTED: d.receiverHosted = desc.id; break
    case CAP_RECEIVER_ANSWER: {
      const ra = d._initReceiverAnswer()
      ra.questionId = desc.answer!.questionId
      writeTransform(ra, desc.answer!.transform)
      break
    }
    default: throw new InvalidArgument(`cannot send a CapDescriptor of kind ${desc.kind}`)
  }
}

export function writeTarget (t: rpc.MessageTarget, target: CallTarget): void {
  if ('importedCap' in target) t.importedCap = target.importedCap
  else {
    const pa = t._initPromisedAnswer()
    pa.questionId = target.questionId
    writeTransform(pa, target.transform)
  }
}
