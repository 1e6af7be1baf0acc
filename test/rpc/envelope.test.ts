// The hand-laid rpc.capnp envelopes (envelope.ts) must read back identically through capnp-es,
// and the fast reader must agree with capnp-es on messages capnp-es builds.
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { newCallMessage, newResultsMessage, readFast, setCallYourself, structAt, writeCallHeader, writeFinish, writeRelease, writeReturnHeader,
  SMALL_FRAME_BYTES, TAG_CALL, TAG_FINISH, TAG_RETURN } from '../../src/rpc/envelope.js'
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
    assert.equal(writeCallHeader(msg, 42, 9, false), true)
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

  it('a Return reads back through capnp-es', () => {
    const { msg, struct } = newResultsMessage(Adder_Add$Results)
    assert.ok(struct !== undefined)
    struct.sum = 99n
    struct.via = 'hand-laid'
    assert.equal(writeReturnHeader(msg, 77), true)
    const r = reread(segmentOf(msg)).return
    assert.equal(r.answerId, 77)
    assert.equal(r.releaseParamCaps, false)
    assert.equal(r.which(), rpc.Return.RESULTS)
    const res = capnp.utils.getStruct(0, Adder_Add$Results, r.results)
    assert.deepEqual([res.sum, res.via], [99n, 'hand-laid'])
  })

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
    assert.deepEqual([f.questionId, f.interfaceId, f.methodId, f.importedCap, f.sendResultsTo], [11, 0xabcn, 3, 4, 1])
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

  it('the fast reader never throws on truncated or mutated input', () => {
    const { msg } = newCallMessage(1n, 1, Adder_Add$Params)
    writeCallHeader(msg, 1, 1, false)
    const good = new Uint8Array(segmentOf(msg))
    let seed = 1
    const rand = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed }
    for (let i = 0; i < 20000; i++) {
      const b = good.slice(0, 8 * (1 + (rand() % (good.length / 8))))
      for (let k = rand() % 4; k > 0; k--) b[rand() % b.length] = rand() & 0xff
      readFast(b.buffer) // bounds are checked: it answers or declines, never throws
    }
  })
})
