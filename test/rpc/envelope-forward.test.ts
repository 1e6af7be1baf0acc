// Received Calls and Returns are forwarded (a proxied capability, a cluster root relaying to another
// host) by rewriting their envelope in place at the offsets the fast reader found (envelope.ts
// adoptLayout): messages built by capnp-es (as C++ or capnp-es peers lay them out) and by us must
// read back through capnp-es with the new header and cap table, the content untouched.
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { type FastCall, type FastReturn, adoptLayout, copyLaidOut, newCallMessage, newResultsMessage, readFast, writeCallHeader, writeCapTableOf, writeReturnHeader,
  TAG_CALL, TAG_RETURN } from '../../src/rpc/wire/envelope.js'
import { CAP_RECEIVER_ANSWER, CAP_RECEIVER_HOSTED, CAP_SENDER_HOSTED, CAP_SENDER_PROMISE, type CapDesc } from '../../src/rpc/wire/envelope-caps.js'
import { receivedMessage } from '../../src/rpc/wire/message.js'
import { Adder_Add$Params, Adder_Add$Results } from './gen/rpctest.js'

function segmentOf (msg: capnp.Message): ArrayBuffer {
  const seg = msg.getSegment(0)
  return seg.buffer.slice(0, seg.byteLength)
}

/** What the connection does with a received one-segment message: decode it fast, keep its layout. */
function receive (buf: ArrayBuffer): { msg: capnp.Message, fast: FastCall | FastReturn } {
  const fast = readFast(buf)
  assert.ok(fast !== undefined && (fast.tag === TAG_CALL || fast.tag === TAG_RETURN))
  const msg = receivedMessage([buf], 1 << 20)
  adoptLayout(msg, fast)
  return { msg, fast }
}

function reread (msg: capnp.Message): rpc.Message {
  return new capnp.Message(segmentOf(msg), false, true).getRoot(rpc.Message)
}

const newCaps: CapDesc[] = [
  { kind: CAP_SENDER_HOSTED, id: 70 },
  { kind: CAP_RECEIVER_ANSWER, id: 0, answer: { questionId: 5, transform: [1, 0] } },
  { kind: CAP_SENDER_PROMISE, id: 71 }
]

function capnpCall (): capnp.Message {
  const msg = new capnp.Message()
  const call = msg.initRoot(rpc.Message)._initCall()
  call.questionId = 3
  call.interfaceId = 0xfeedn
  call.methodId = 2
  call.target.importedCap = 8
  const params = call._initParams()
  const p = capnp.utils.initStructAt(0, Adder_Add$Params, params)
  p.a = 40n
  p.b = 2n
  const caps = params._initCapTable(2)
  caps.get(0).senderHosted = 1
  caps.get(1).receiverHosted = 2
  return msg
}

describe('rpc: forwarding received envelopes in place', () => {
  it('a capnp-es Call, retargeted to a promised answer with a new cap table, reads back through capnp-es', () => {
    const { msg, fast } = receive(segmentOf(capnpCall()))
    assert.deepEqual([fast.tag, fast.caps.length], [TAG_CALL, 2])
    assert.equal(writeCallHeader(msg, 99, { questionId: 12, transform: [0, 3] }, true), true)
    assert.equal(writeCapTableOf(msg, newCaps), true)
    const call = reread(msg).call
    assert.deepEqual([call.questionId, call.interfaceId, call.methodId], [99, 0xfeedn, 2])
    assert.equal(call.sendResultsTo.which(), rpc.Call_SendResultsTo.YOURSELF)
    assert.equal(call.target.which(), rpc.MessageTarget.PROMISED_ANSWER)
    const pa = call.target.promisedAnswer
    assert.equal(pa.questionId, 12)
    assert.deepEqual([pa.transform.length, pa.transform.get(0).getPointerField, pa.transform.get(1).getPointerField], [2, 0, 3])
    const p = capnp.utils.getStruct(0, Adder_Add$Params, call.params)
    assert.deepEqual([p.a, p.b], [40n, 2n])
    const caps = call.params.capTable
    assert.deepEqual([caps.length, caps.get(0).senderHosted, caps.get(1).receiverAnswer.questionId, caps.get(2).senderPromise], [3, 70, 5, 71])
    // the fast reader agrees on the rewritten message, and it can be rewritten again
    const again = readFast(segmentOf(msg))
    assert.ok(again !== undefined && again.tag === TAG_CALL)
    assert.deepEqual([again.questionId, again.target, again.caps], [99, { questionId: 12, transform: [0, 3] }, newCaps])
    assert.equal(writeCallHeader(msg, 100, { importedCap: 6 }, false), true)
    assert.equal(writeCapTableOf(msg, []), true)
    const back = reread(msg).call
    assert.deepEqual([back.questionId, back.target.which(), back.target.importedCap, back.target._hasPromisedAnswer()], [100, rpc.MessageTarget.IMPORTED_CAP, 6, false])
    assert.equal(back.sendResultsTo.which(), rpc.Call_SendResultsTo.CALLER)
    assert.equal(back.params._hasCapTable(), false)
    assert.equal(capnp.utils.getStruct(0, Adder_Add$Params, back.params).a, 40n)
  })

  it('a capnp-es Return (releaseParamCaps left at its default) is forwarded with releaseParamCaps false', () => {
    const msg = new capnp.Message()
    const ret = msg.initRoot(rpc.Message)._initReturn()
    ret.answerId = 4
    const results = ret._initResults()
    const r = capnp.utils.initStructAt(0, Adder_Add$Results, results)
    r.sum = 7n
    r.via = 'far side'
    results._initCapTable(1).get(0).senderHosted = 3
    const { msg: got, fast } = receive(segmentOf(msg))
    assert.ok(fast.tag === TAG_RETURN && fast.releaseParamCaps)
    assert.equal(writeReturnHeader(got, 21, false), true)
    assert.equal(writeCapTableOf(got, [{ kind: CAP_RECEIVER_HOSTED, id: 9 }, { kind: CAP_SENDER_HOSTED, id: 10 }]), true)
    const back = reread(got).return
    assert.deepEqual([back.answerId, back.releaseParamCaps, back.which()], [21, false, rpc.Return.RESULTS])
    const res = capnp.utils.getStruct(0, Adder_Add$Results, back.results)
    assert.deepEqual([res.sum, res.via], [7n, 'far side'])
    const caps = back.results.capTable
    assert.deepEqual([caps.length, caps.get(0).receiverHosted, caps.get(1).senderHosted], [2, 9, 10])
  })

  it('our own Call and Return, received, are rewritten in place too', () => {
    const { msg: call, struct } = newCallMessage(0x77n, 1, Adder_Add$Params)
    assert.ok(struct !== undefined)
    struct.a = 5n
    assert.equal(writeCallHeader(call, 1, { questionId: 2, transform: [4] }, false), true)
    const { msg } = receive(segmentOf(call))
    assert.equal(writeCallHeader(msg, 8, { importedCap: 3 }, false), true)
    assert.equal(writeCapTableOf(msg, newCaps), true)
    const c = reread(msg).call
    assert.deepEqual([c.questionId, c.target.importedCap, c.params.capTable.length, capnp.utils.getStruct(0, Adder_Add$Params, c.params).a], [8, 3, 3, 5n])

    const { msg: ret, struct: res } = newResultsMessage(Adder_Add$Results)
    assert.ok(res !== undefined)
    res.via = 'ours'
    assert.equal(writeReturnHeader(ret, 1, false), true)
    const { msg: got } = receive(segmentOf(ret))
    assert.equal(writeReturnHeader(got, 2, false), true)
    assert.deepEqual([reread(got).return.answerId, capnp.utils.getStruct(0, Adder_Add$Results, reread(got).return.results).via], [2, 'ours'])
  })

  it('a copy is rewritten without touching the original (results sent twice)', () => {
    const { msg, struct } = newResultsMessage(Adder_Add$Results)
    assert.ok(struct !== undefined)
    struct.via = 'twice'
    assert.equal(writeReturnHeader(msg, 1, false), true)
    assert.equal(writeCapTableOf(msg, [{ kind: CAP_SENDER_HOSTED, id: 1 }]), true)
    const copy = copyLaidOut(msg)
    assert.ok(copy !== undefined)
    assert.equal(writeReturnHeader(copy, 2, false), true)
    assert.equal(writeCapTableOf(copy, newCaps), true)
    assert.deepEqual([reread(msg).return.answerId, reread(msg).return.results.capTable.length], [1, 1])
    assert.deepEqual([reread(copy).return.answerId, reread(copy).return.results.capTable.length], [2, 3])
    assert.equal(capnp.utils.getStruct(0, Adder_Add$Results, reread(copy).return.results).via, 'twice')
    // a message capnp-es built has no layout: no copy (the caller rewrites it with capnp-es)
    assert.equal(copyLaidOut(capnpCall()), undefined)
  })
})
