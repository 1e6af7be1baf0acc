// The hand-laid rpc.capnp envelopes (envelope.ts) must read back identically through capnp-es,
// and the fast reader must agree with capnp-es on messages capnp-es builds.
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { newCallMessage, newResultsMessage, readFast, setCallYourself, structAt, writeCallHeader, writeCapTableOf, writeFinish, writeRelease,
  writeReturnHeader, SMALL_FRAME_BYTES, TAG_CALL, TAG_FINISH, TAG_RELEASE, TAG_RETURN } from '../../src/rpc/wire/envelope.js'
import { CAP_NONE, CAP_RECEIVER_ANSWER, CAP_RECEIVER_HOSTED, CAP_SENDER_HOSTED, CAP_SENDER_PROMISE, type CapDesc } from '../../src/rpc/wire/envelope-caps.js'
import { Adder_Add$Params, Adder_Add$Results } from './gen/rpctest.js'

/** The single segment of a message, as a received ArrayBuffer of exactly its length. */
function segmentOf (msg: capnp.Message): ArrayBuffer {
  const seg = msg.getSegment(0)
  return seg.buffer.slice(0, seg.byteLength)
}

function reread (buf: ArrayBuffer): rpc.Message {
  return new capnp.Message(buf, false, true).getRoot(rpc.Message)
}

describe('rpc: hand-laid envelopes', () => {
  it('a Call reads back through capnp-es, params included', () => {
    const { msg, struct } = newCallMessage(0x1234567890abcdefn, 7, Adder_Add$Params)
    assert.ok(struct !== undefined)
    struct.a = -5n
    struct.b = 1n << 40n
    assert.equal(writeCallHeader(msg, 42, { importedCap: 9 }, false), true)
    const m = reread(segmentOf(msg))
    assert.equal(m.which(), rpc.Message.CALL)
    const call = m.call
    assert.equal(call.questionId, 42)
    assert.equal(call.interfaceId, 0x1234567890abcdefn)
    assert.equal(call.methodId, 7)
    assert.equal(call.target.which(), rpc.MessageTarget.IMPORTED_CAP)
    assert.equal(call.target.importedCap, 9)
    assert.equal(call.sendResultsTo.which(), rpc.Call_SendResultsTo.CALLER)
    assert.equal(call.params.capTable.length, 0)
    const p = capnp.utils.getStruct(0, Adder_Add$Params, call.params)
    assert.deepEqual([p.a, p.b], [-5n, 1n << 40n])
    setCallYourself(msg)
    assert.equal(reread(segmentOf(msg)).call.sendResultsTo.which(), rpc.Call_SendResultsTo.YOURSELF)
  })

  for (const noFinishNeeded of [false, true]) {
    it(`a Return (noFinishNeeded ${noFinishNeeded}) reads back through capnp-es and readFast`, () => {
      const { msg, struct } = newResultsMessage(Adder_Add$Results)
      assert.ok(struct !== undefined)
      struct.sum = 99n
      struct.via = 'hand-laid'
      assert.equal(writeReturnHeader(msg, 77, noFinishNeeded), true)
      const r = reread(segmentOf(msg)).return
      assert.equal(r.answerId, 77)
      assert.equal(r.releaseParamCaps, false)
      assert.equal(r.noFinishNeeded, noFinishNeeded)
      assert.equal(r.which(), rpc.Return.RESULTS)
      const res = capnp.utils.getStruct(0, Adder_Add$Results, r.results)
      assert.deepEqual([res.sum, res.via], [99n, 'hand-laid'])
      const fast = readFast(segmentOf(msg))
      assert.ok(fast?.tag === TAG_RETURN)
      assert.deepEqual([fast.answerId, fast.releaseParamCaps, fast.noFinishNeeded], [77, false, noFinishNeeded])
    })
  }

  it('Finish and Release frames read back through capnp-es', () => {
    for (const release of [true, false]) {
      const frame = new Uint8Array(SMALL_FRAME_BYTES)
      writeFinish(new DataView(frame.buffer), 0, 3000000000, release)
      const m = new capnp.Message(frame, false).getRoot(rpc.Message)
      assert.equal(m.which(), rpc.Message.FINISH)
      assert.equal(m.finish.questionId, 3000000000)
      assert.equal(m.finish.releaseResultCaps, release)
    }
    const frame = new Uint8Array(SMALL_FRAME_BYTES)
    writeRelease(new DataView(frame.buffer), 0, 5, 12)
    const m = new capnp.Message(frame, false).getRoot(rpc.Message)
    assert.equal(m.which(), rpc.Message.RELEASE)
    assert.deepEqual([m.release.id, m.release.referenceCount], [5, 12])
  })

  it('the fast reader agrees with capnp-es on messages capnp-es builds', () => {
    const msg = new capnp.Message()
    const call = msg.initRoot(rpc.Message)._initCall()
    call.questionId = 11
    call.interfaceId = 0xabcn
    call.methodId = 3
    call.target.importedCap = 4
    call.sendResultsTo.yourself = true
    const p = capnp.utils.initStructAt(0, Adder_Add$Params, call._initParams())
    p.a = 1n
    p.b = 2n
    const seg = segmentOf(msg)
    const f = readFast(seg)
    assert.ok(f !== undefined && f.tag === TAG_CALL)
    assert.deepEqual([f.questionId, f.interfaceId, f.methodId, f.target, f.sendResultsTo, f.caps], [11, 0xabcn, 3, 4, 1, []])
    const back = new capnp.Message(seg, false, true)
    const params = structAt(back.getSegment(0), f.contentPtr, Adder_Add$Params, 60)
    assert.ok(params !== undefined)
    assert.deepEqual([params.a, params.b], [1n, 2n])
    // a struct smaller than the reader expects is left to capnp-es
    assert.equal(structAt(back.getSegment(0), f.contentPtr, Adder_Add$Results, 60), undefined)

    const fin = new capnp.Message()
    const fm = fin.initRoot(rpc.Message)._initFinish()
    fm.questionId = 8
    fm.releaseResultCaps = false
    const ff = readFast(segmentOf(fin))
    assert.deepEqual(ff, { tag: TAG_FINISH, questionId: 8, releaseResultCaps: false })

    const ret = new capnp.Message()
    const rm = ret.initRoot(rpc.Message)._initReturn()
    rm.answerId = 6
    rm._initException().reason = 'no'
    assert.equal(readFast(segmentOf(ret)), undefined, 'exceptions take the general path')
    const ok = new capnp.Message()
    const om = ok.initRoot(rpc.Message)._initReturn()
    om.answerId = 6
    om._initResults()
    const fr = readFast(segmentOf(ok))
    assert.ok(fr !== undefined && fr.tag === TAG_RETURN && fr.answerId === 6 && fr.releaseParamCaps)
  })

  it('a Call to a promised answer with a cap table reads back through capnp-es, and the fast reader agrees', () => {
    for (const transform of [[], [0], [3, 0, 65535]]) {
      const { msg, struct } = newCallMessage(0xfeedn, 2, Adder_Add$Params)
      assert.ok(struct !== undefined)
      struct.a = 7n
      assert.equal(writeCallHeader(msg, 5, { questionId: 123456, transform }, true), true)
      assert.equal(writeCapTableOf(msg, everyKind), true)
      const call = reread(segmentOf(msg)).call
      assert.deepEqual([call.questionId, call.interfaceId, call.methodId, call.sendResultsTo.which()], [5, 0xfeedn, 2, rpc.Call_SendResultsTo.YOURSELF])
      assert.equal(call.target.which(), rpc.MessageTarget.PROMISED_ANSWER)
      assert.equal(call.target.promisedAnswer.questionId, 123456)
      assert.deepEqual(opsOf(call.target.promisedAnswer), transform)
      assert.deepEqual(descsOf(call.params), everyKind)
      assert.equal(capnp.utils.getStruct(0, Adder_Add$Params, call.params).a, 7n)
      const f = readFast(segmentOf(msg))
      assert.ok(f !== undefined && f.tag === TAG_CALL)
      assert.deepEqual([f.questionId, f.target, f.sendResultsTo, f.caps], [5, { questionId: 123456, transform }, 1, everyKind])
    }
  })

  it('a Return with a cap table reads back through capnp-es, and the fast reader agrees', () => {
    const { msg, struct } = newResultsMessage(Adder_Add$Results)
    assert.ok(struct !== undefined)
    struct.via = 'caps'
    assert.equal(writeReturnHeader(msg, 9, false), true)
    assert.equal(writeCapTableOf(msg, everyKind), true)
    const r = reread(segmentOf(msg)).return
    assert.equal(r.answerId, 9)
    assert.deepEqual(descsOf(r.results), everyKind)
    assert.equal(capnp.utils.getStruct(0, Adder_Add$Results, r.results).via, 'caps')
    const f = readFast(segmentOf(msg))
    assert.ok(f !== undefined && f.tag === TAG_RETURN)
    assert.deepEqual([f.answerId, f.releaseParamCaps, f.caps], [9, false, everyKind])
    // written again (the same results sent on another connection): the new table replaces the old
    assert.equal(writeCapTableOf(msg, [{ kind: CAP_SENDER_HOSTED, id: 77 }]), true)
    assert.deepEqual(descsOf(reread(segmentOf(msg)).return.results), [{ kind: CAP_SENDER_HOSTED, id: 77 }])
    assert.equal(writeCapTableOf(msg, []), true)
    assert.equal(reread(segmentOf(msg)).return.results._hasCapTable(), false)
  })

  it('hand-laid tables grow the segment when the params fill the first buffer', () => {
    const { msg, struct } = newCallMessage(1n, 0, Adder_Add$Results)
    assert.ok(struct !== undefined)
    struct.via = 'x'.repeat(600)
    const many: CapDesc[] = Array.from({ length: 40 }, (_, i) => ({ kind: CAP_RECEIVER_ANSWER, id: 0, answer: { questionId: i, transform: [i, 1] } }))
    assert.equal(writeCallHeader(msg, 1, { questionId: 2, transform: [1, 2, 3, 4] }, false), true)
    assert.equal(writeCapTableOf(msg, many), true)
    assert.equal(msg._capnp.segments.length, 1)
    const call = reread(segmentOf(msg)).call
    assert.deepEqual(opsOf(call.target.promisedAnswer), [1, 2, 3, 4])
    assert.deepEqual(descsOf(call.params), many)
    assert.equal(capnp.utils.getStruct(0, Adder_Add$Results, call.params).via, 'x'.repeat(600))
    const f = readFast(segmentOf(msg))
    assert.ok(f !== undefined && f.tag === TAG_CALL)
    assert.deepEqual(f.caps, many)
  })

  it('the fast reader agrees with capnp-es on promised targets, cap tables and Release that capnp-es builds', () => {
    const msg = new capnp.Message()
    const call = msg.initRoot(rpc.Message)._initCall()
    call.questionId = 3
    const pa = call.target._initPromisedAnswer()
    pa.questionId = 8
    const ops = pa._initTransform(3)
    ops.get(0).getPointerField = 1
    ops.get(1).noop = true
    ops.get(2).getPointerField = 4
    const params = call._initParams()
    capnp.utils.initStructAt(0, Adder_Add$Params, params)
    writeDescs(params, everyKind)
    const f = readFast(segmentOf(msg))
    assert.ok(f !== undefined && f.tag === TAG_CALL)
    assert.deepEqual([f.target, f.caps], [{ questionId: 8, transform: [1, 4] }, everyKind])

    const ret = new capnp.Message()
    const rm = ret.initRoot(rpc.Message)._initReturn()
    rm.answerId = 2
    writeDescs(rm._initResults(), everyKind)
    const fr = readFast(segmentOf(ret))
    assert.ok(fr !== undefined && fr.tag === TAG_RETURN)
    assert.deepEqual(fr.caps, everyKind)

    const third = new capnp.Message()
    const tc = third.initRoot(rpc.Message)._initReturn()
    tc._initResults()._initCapTable(1).get(0)._initThirdPartyHosted().vineId = 4
    assert.equal(readFast(segmentOf(third)), undefined, 'thirdPartyHosted takes the general path')

    const rel = new capnp.Message()
    const r = rel.initRoot(rpc.Message)._initRelease()
    r.id = 12
    r.referenceCount = 3
    assert.deepEqual(readFast(segmentOf(rel)), { tag: TAG_RELEASE, id: 12, referenceCount: 3 })
  })

  it('the fast reader never throws on truncated or mutated input', () => {
    const plain = newCallMessage(1n, 1, Adder_Add$Params).msg
    writeCallHeader(plain, 1, { importedCap: 1 }, false)
    const piped = newCallMessage(1n, 1, Adder_Add$Params).msg
    writeCallHeader(piped, 1, { questionId: 4, transform: [0, 2, 1] }, false)
    writeCapTableOf(piped, everyKind)
    const ret = newResultsMessage(Adder_Add$Results).msg
    writeReturnHeader(ret, 3, false)
    writeCapTableOf(ret, everyKind)
    let seed = 1
    const rand = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed }
    for (const msg of [plain, piped, ret]) {
      const good = new Uint8Array(segmentOf(msg))
      for (let i = 0; i < 20000; i++) {
        const b = good.slice(0, 8 * (1 + (rand() % (good.length / 8))))
        for (let k = rand() % 4; k > 0; k--) b[rand() % b.length] = rand() & 0xff
        readFast(b.buffer) // bounds are checked: it answers or declines, never throws
      }
    }
  })
})

const everyKind: CapDesc[] = [
  { kind: CAP_NONE, id: 0 },
  { kind: CAP_SENDER_HOSTED, id: 4000000000 },
  { kind: CAP_SENDER_PROMISE, id: 2 },
  { kind: CAP_RECEIVER_HOSTED, id: 3 },
  { kind: CAP_RECEIVER_ANSWER, id: 0, answer: { questionId: 11, transform: [] } },
  { kind: CAP_RECEIVER_ANSWER, id: 0, answer: { questionId: 12, transform: [0, 5] } }
]

function opsOf (pa: rpc.PromisedAnswer): number[] {
  if (!pa._hasTransform()) return []
  const out: number[] = []
  for (let i = 0; i < pa.transform.length; i++) {
    const op = pa.transform.get(i)
    if (op.which() === rpc.PromisedAnswer_Op.GET_POINTER_FIELD) out.push(op.getPointerField)
  }
  return out
}

/** A cap table as capnp-es reads it, in the fast reader's terms. */
function descsOf (payload: rpc.Payload): CapDesc[] {
  const list = payload.capTable
  const out: CapDesc[] = []
  for (let i = 0; i < list.length; i++) {
    const d = list.get(i)
    assert.equal(d.attachedFd, 255)
    switch (d.which()) {
      case rpc.CapDescriptor.NONE: out.push({ kind: CAP_NONE, id: 0 }); break
      case rpc.CapDescriptor.SENDER_HOSTED: out.push({ kind: CAP_SENDER_HOSTED, id: d.senderHosted }); break
      case rpc.CapDescriptor.SENDER_PROMISE: out.push({ kind: CAP_SENDER_PROMISE, id: d.senderPromise }); break
      case rpc.CapDescriptor.RECEIVER_HOSTED: out.push({ kind: CAP_RECEIVER_HOSTED, id: d.receiverHosted }); break
      case rpc.CapDescriptor.RECEIVER_ANSWER: out.push({ kind: CAP_RECEIVER_ANSWER, id: 0, answer: { questionId: d.receiverAnswer.questionId, transform: opsOf(d.receiverAnswer) } }); break
      default: assert.fail(`unexpected descriptor kind ${d.which()}`)
    }
  }
  return out
}

/** A cap table written by capnp-es. */
function writeDescs (payload: rpc.Payload, descs: CapDesc[]): void {
  const list = payload._initCapTable(descs.length)
  descs.forEach((desc, i) => {
    const d = list.get(i)
    if (desc.kind === CAP_NONE) d.none = true
    else if (desc.kind === CAP_SENDER_HOSTED) d.senderHosted = desc.id
    else if (desc.kind === CAP_SENDER_PROMISE) d.senderPromise = desc.id
    else if (desc.kind === CAP_RECEIVER_HOSTED) d.receiverHosted = desc.id
    else {
      const ra = d._initReceiverAnswer()
      ra.questionId = desc.answer!.questionId
      const ops = ra._initTransform(desc.answer!.transform.length)
      desc.answer!.transform.forEach((t, k) => { ops.get(k).getPointerField = t })
    }
  })
}
