// Reading a received list: its bytes must lie in its segment, and zero-size elements are charged to
// the message's traversal limit (one word each, as capnp's C++ reader charges them).
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import { InvalidArgument, LimitExceeded } from '../../src/errors.js'
import { defaultRpcLimits } from '../../src/rpc/index.js'
import { receivedMessage } from '../../src/rpc/wire/message.js'
import { View_Ls$Params, View_Ls$Results } from '../../src/schema/cluster.js'

/** A received View.ls params whose `where` pointer is (lo, hi), followed by `extra` words; the traversal limit is `words`. */
function received (lo: number, hi: number, extra: number[] = [], words = defaultRpcLimits.traversalLimitWords): View_Ls$Params {
  return receivedRoot(lo, hi, extra, words).getRoot(View_Ls$Params)
}

function receivedRoot (lo: number, hi: number, extra: number[] = [], words = defaultRpcLimits.traversalLimitWords): capnp.Message {
  const buf = new ArrayBuffer(8 * (2 + 2 * extra.length / 2))
  const dv = new DataView(buf)
  dv.setUint32(0, 0, true); dv.setUint32(4, 0x00010000, true) // root: a struct of 0 data words, 1 pointer
  dv.setUint32(8, lo, true); dv.setUint32(12, hi, true)
  extra.forEach((w, i) => { dv.setUint32(16 + 4 * i, w, true) })
  return receivedMessage([buf], words * 8)
}
const voidList = (n: number): number => (n * 8) >>> 0 // element size 0
const huge = 2 ** 29 - 1

describe('rpc: list reads are bounded', () => {
  it('a Void list is charged one word per element: 2^29 - 1 of them fail LimitExceeded before any is read', () => {
    assert.throws(() => [...received(1, voidList(huge)).where], LimitExceeded)
    assert.throws(() => received(1, voidList(huge)).where.length, LimitExceeded)
  })

  it('a Void list within the limit has its length; the same list read twice is charged twice', () => {
    const p = received(1, voidList(600), [], 1000)
    assert.equal(p.where.length, 600)
    assert.throws(() => p.where.length, LimitExceeded) // 600 + 600 words > 1000
  })

  it('a list of zero-size structs is charged like a Void list', () => {
    const structs = (n: number): number[] => [(n * 4) >>> 0, 0] // the tag: n elements of 0 words
    assert.throws(() => [...received(1, 7, structs(huge)).where], LimitExceeded)
    assert.equal(received(1, 7, structs(100)).where.length, 100)
  })

  it('a list of structs smaller than the reader\'s, which capnp-es copies into a larger list, is charged for that copy', () => {
    const tag = [(2 ** 25 * 4) >>> 0, 0] // 2^25 elements of 0 words, read as HostRecords (several words each)
    const results = receivedRoot(1, 7, tag).getRoot(View_Ls$Results)
    assert.throws(() => results.hosts, (err: Error) => err instanceof LimitExceeded && /would allocate more than its traversal limit/.test(err.message))
    const few = receivedRoot(1, 7, [3 * 4, 0]).getRoot(View_Ls$Results)
    assert.equal(few.hosts.length, 3)
    assert.equal(few.hosts.get(2).peer, '')
  })

  it('a list that runs past its segment is malformed (no array of its claimed length is made)', () => {
    assert.throws(() => [...received(1, (huge * 8 + 6) >>> 0).where], InvalidArgument) // pointers, none sent
    assert.throws(() => received(1, (3 << 3) | 7, [(3 * 4) >>> 0, 0x00010000]).where.length, InvalidArgument) // 3 words claimed, 1 sent
    assert.throws(() => received(1, ((2 ** 20) << 3) | 2, [0, 0]).where.length, InvalidArgument) // 1 MiB of bytes claimed
  })

  it('lists that fit read as before', () => {
    const msg = new capnp.Message()
    const p = msg.initRoot(View_Ls$Params)
    const w = p._initWhere(3)
    ;['a=1', 'b=2', 'c=3'].forEach((x, i) => { w.set(i, x) })
    const copy = receivedMessage([msg.toArrayBuffer().slice(8)], 1000).getRoot(View_Ls$Params)
    assert.deepEqual([...copy.where], ['a=1', 'b=2', 'c=3'])
  })
})
