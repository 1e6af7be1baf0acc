import assert from 'node:assert/strict'
import { AnchorTree } from '../../src/anchor/tree.js'
import { serveTree } from '../../src/caps/anchor.js'
import { Connection, type Capability } from '../../src/rpc/index.js'
import { AnchorClient } from '../../src/schema/anchor.rpc.js'
import { memoryPair } from '../../src/transport/index.js'
import { listTree } from '../../cmd/ls-tree.js'

/** A tree with `paths` stored as bytes, served over an in-memory connection. */
function served (paths: string[]): { client: AnchorClient, stop: () => void } {
  const tree = new AnchorTree<Capability>()
  const root = tree.root()
  for (const p of paths) {
    const at = root.walk(p)
    at.store({ kind: 'bytes', bytes: new Uint8Array([1]) })
    at.release()
  }
  const served = serveTree(tree)
  const [a, b] = memoryPair()
  const server = new Connection(b, { bootstrap: served })
  const conn = new Connection(a)
  const client = conn.bootstrap(AnchorClient)
  return { client, stop: () => { client.release(); conn.close(); server.close(); served.release(); root.release() } }
}

describe('cli: ls -R walk (listTree)', () => {
  it('lists parents before children, siblings by name (a/b before a-b), with kinds and child counts', async () => {
    const t = served(['a/b/c', 'a-b', 'a/z'])
    const got = await listTree(t.client, ['top'], { maxDepth: 65, maxEntries: 100 })
    assert.equal(got.complete, true)
    assert.deepEqual(got.entries, [
      { path: '/top/a', kind: 'empty', children: 2 },
      { path: '/top/a/b', kind: 'empty', children: 1 },
      { path: '/top/a/b/c', kind: 'bytes', children: 0 },
      { path: '/top/a/z', kind: 'bytes', children: 0 },
      { path: '/top/a-b', kind: 'bytes', children: 0 }
    ])
    t.stop()
  })

  it('stops at maxEntries (reporting it incomplete) and at maxDepth', async () => {
    const paths = Array.from({ length: 50 }, (_, i) => `d${i % 5}/n${i}`)
    const t = served(paths)
    const capped = await listTree(t.client, [], { maxDepth: 65, maxEntries: 20 })
    assert.equal(capped.complete, false)
    assert.equal(capped.entries.length, 20)
    const all = await listTree(t.client, [], { maxDepth: 65, maxEntries: 55 })
    assert.equal(all.complete, true)
    assert.equal(all.entries.length, 55)
    const shallow = await listTree(t.client, [], { maxDepth: 1, maxEntries: 100 })
    assert.deepEqual(shallow.entries.map(e => e.path), ['/d0', '/d1', '/d2', '/d3', '/d4'])
    t.stop()
  })
})
