// The answers table: ids the peer picks, kept in an array when small and in a Map otherwise.
import assert from 'node:assert/strict'
import { DENSE_PEER_IDS, PeerIdTable } from '../../src/rpc/tables.js'

describe('rpc: the table of ids the peer picks', () => {
  it('keeps small and large ids alike: get, has, size, delete, values', () => {
    const t = new PeerIdTable<string>()
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
