// The answers table: ids the peer picks, kept in an array when small and in a Map otherwise.
import assert from 'node:assert/strict'
import { DENSE_IDS as DENSE_PEER_IDS, IdTable } from '../../src/rpc/id-table.js'

describe('rpc: the table of ids the peer picks', () => {
  it('keeps small and large ids alike: get, has, size, delete, values', () => {
    const t = new IdTable<string>()
    const ids = [0, 5, DENSE_PEER_IDS - 1, DENSE_PEER_IDS, 0xffffffff]
    for (const id of ids) t.set(id, `v${id}`)
    assert.equal(t.size, ids.length)
    for (const id of ids) { assert.equal(t.get(id), `v${id}`); assert.ok(t.has(id)) }
    assert.equal(t.get(1), undefined, 'a gap below a small id is empty')
    assert.equal(t.get(DENSE_PEER_IDS + 1), undefined)
    t.set(5, 'again')
    assert.equal(t.size, ids.length, 'replacing an entry does not count it twice')
    t.delete(5)
    t.delete(0xffffffff)
    t.delete(7) // never there
    assert.equal(t.size, ids.length - 2)
    assert.ok(!t.has(5) && !t.has(0xffffffff))
    assert.deepEqual(t.values().sort(), ['v0', `v${DENSE_PEER_IDS - 1}`, `v${DENSE_PEER_IDS}`].sort())
    t.clear()
    assert.equal(t.size, 0)
    assert.deepEqual(t.values(), [])
  })
})

describe('rpc: the table of ids we pick', () => {
  it('gives out the smallest freed id again, then new ones', () => {
    const t = new IdTable<string>()
    assert.deepEqual([t.add('a'), t.add('b'), t.add('c')], [0, 1, 2])
    t.delete(1)
    t.delete(1) // twice: freed once
    assert.equal(t.size, 2)
    assert.equal(t.add('d'), 1, 'the freed id')
    assert.equal(t.add('e'), 3, 'then the next')
    assert.deepEqual(t.entries(), [[0, 'a'], [1, 'd'], [2, 'c'], [3, 'e']])
  })
})
