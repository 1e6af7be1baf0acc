// The bytes values of one tree (a host's) share maxStoredBytes: a store past it fails LimitExceeded
// and changes nothing; overwriting, clearing and dropping give bytes back.
import assert from 'node:assert/strict'
import { AnchorTree, type AnchorValue } from '../../src/anchor/tree.js'
import { LimitExceeded } from '../../src/errors.js'

const value = (n: number): AnchorValue<never> => ({ kind: 'bytes', bytes: new Uint8Array(n) })

describe('anchor: the bytes a tree stores are bounded', () => {
  it('values fill maxStoredBytes; the next store fails LimitExceeded and leaves the anchor as it was', () => {
    const tree = new AnchorTree({ limits: { maxStoredBytes: 1000, maxValueBytes: 400 } })
    using root = tree.root()
    for (const p of ['a', 'b']) { using r = root.walk(p); r.store(value(400)) }
    using c = root.walk('c')
    assert.throws(() => { c.store(value(201)) }, (err: Error) => err instanceof LimitExceeded && err.message === 'the anchors of this host would hold 1001 bytes of values (maxStoredBytes 1000)')
    assert.equal(c.load(), undefined)
    c.store(value(200))
    assert.equal(tree.bytesStored, 1000)
  })

  it('overwriting counts the difference; clearing and dropping give the bytes back', () => {
    const tree = new AnchorTree({ limits: { maxStoredBytes: 1000, maxValueBytes: 1000 } })
    using root = tree.root()
    using a = root.walk('a')
    a.store(value(900))
    a.store(value(1000), { overwrite: true }) // 1000, not 1900
    assert.equal(tree.bytesStored, 1000)
    a.clear()
    assert.equal(tree.bytesStored, 0)
    a.store(value(500))
    tree.drop()
    assert.equal(tree.bytesStored, 0)
  })
})
