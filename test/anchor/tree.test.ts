import assert from 'node:assert/strict'
import { AnchorTree, type AnchorValue } from '../../src/anchor/tree.js'
import { Closed, InvalidArgument, LimitExceeded, NotFound, Occupied } from '../../src/errors.js'

const bytes = (s: string): AnchorValue<never> => ({ kind: 'bytes', bytes: new TextEncoder().encode(s) })
const text = (v: AnchorValue<unknown> | undefined): string => {
  assert.ok(v?.kind === 'bytes')
  return new TextDecoder().decode(v.bytes)
}

describe('anchor: refcounted tree', () => {
  it('walk a/b/c creates the anchors; releasing the reference empties the tree again', () => {
    const tree = new AnchorTree()
    const root = tree.root()
    const c = root.walk('a/b/c')
    assert.equal(c.path, '/a/b/c')
    assert.equal(tree.size, 4)
    assert.deepEqual(root.ls(), [{ name: 'a', kind: 'empty', children: 1 }])
    c.release()
    assert.equal(tree.size, 1)
    assert.deepEqual(root.ls(), [])
    c.release() // twice is a no-op
    assert.equal(tree.size, 1)
  })

  it('a tree mounted at /<peer> reports its paths, and names them in errors, from the cluster root', () => {
    const tree = new AnchorTree({ mount: '/12D3KooWHost' })
    const root = tree.root()
    assert.equal(root.path, '/12D3KooWHost')
    const box = root.walk('jobs/box')
    assert.equal(box.path, '/12D3KooWHost/jobs/box')
    box.store(bytes('x'))
    assert.throws(() => { box.store(bytes('y'), { overwrite: false }) },
      (err: unknown) => err instanceof Occupied && err.message.includes('/12D3KooWHost/jobs/box'))
    box.store(undefined)
    box.release()
    root.release()
    assert.throws(() => new AnchorTree({ mount: '/a/../b' }), InvalidArgument)
  })

  it('an anchor lives while any reference to it or a descendant lives', () => {
    const tree = new AnchorTree()
    const root = tree.root()
    const b = root.walk('/a/b')
    const b2 = b.dup()
    const c = b.walk('c')
    assert.equal(c.path, '/a/b/c')
    b.release()
    b2.release()
    assert.equal(tree.size, 4, 'c still holds a, b, c')
    c.release()
    assert.equal(tree.size, 1)
  })

  it('an anchor holding a value survives its references; clearing it cascades the removal up', () => {
    const tree = new AnchorTree()
    const root = tree.root()
    const ref = root.walk('x/y')
    ref.store(bytes('hello'))
    ref.release()
    assert.equal(tree.size, 3)
    assert.deepEqual(root.ls(), [{ name: 'x', kind: 'empty', children: 1 }])
    const again = root.walk('x/y')
    assert.equal(text(again.load()), 'hello')
    again.store(undefined)
    assert.equal(tree.size, 3, 'still referenced')
    again.release()
    assert.equal(tree.size, 1)
  })

  it('an anchor with children survives when its own reference goes', () => {
    const tree = new AnchorTree()
    const root = tree.root()
    const a = root.walk('a')
    const kept = a.walk('kept')
    kept.store(bytes('v'))
    kept.release()
    a.release()
    assert.deepEqual(root.ls(), [{ name: 'a', kind: 'empty', children: 1 }])
    assert.deepEqual(root.walk('a').ls(), [{ name: 'kept', kind: 'bytes', children: 0 }])
  })

  it('ls lists children in name order with what each holds', () => {
    const tree = new AnchorTree<string>()
    const root = tree.root()
    const refs = ['zeta', 'Alpha', 'beta', '10', '9'].map(n => root.walk(n))
    root.walk('beta').store({ kind: 'chan', cap: 'c1' })
    root.walk('zeta/deep').store(bytes('b'))
    assert.deepEqual(root.ls(), [
      { name: '10', kind: 'empty', children: 0 },
      { name: '9', kind: 'empty', children: 0 },
      { name: 'Alpha', kind: 'empty', children: 0 },
      { name: 'beta', kind: 'chan', children: 0 },
      { name: 'zeta', kind: 'empty', children: 1 }
    ])
    for (const r of refs) r.release()
  })

  it('store with overwrite=false on an occupied anchor fails with Occupied and keeps the old value', () => {
    const tree = new AnchorTree<string>()
    const released: string[] = []
    const ref = tree.root().walk('mailbox')
    ref.store({ kind: 'sender', cap: 'first', release: () => released.push('first') })
    assert.throws(() => { ref.store({ kind: 'sender', cap: 'second' }) }, (err: unknown) =>
      err instanceof Occupied && err.message.includes('/mailbox') && err.message.includes('sender'))
    assert.throws(() => { ref.store(bytes('x'), { overwrite: false }) }, Occupied)
    const v = ref.load()
    assert.ok(v !== undefined && v.kind === 'sender' && v.cap === 'first')
    assert.deepEqual(released, [])
    // Compare-and-set for rendezvous: exactly one of many racers wins.
    const racers = ['a', 'b', 'c'].map(n => tree.root().walk('rv'))
    const wins = racers.filter((r, i) => { try { r.store(bytes(String(i))); return true } catch { return false } })
    assert.equal(wins.length, 1)
  })

  it('release hooks run once when a value is replaced, cleared, or the tree is dropped; never on load', () => {
    const tree = new AnchorTree<string>()
    const released: string[] = []
    const cap = (name: string): AnchorValue<string> => ({ kind: 'cap', cap: name, release: () => released.push(name) })
    const root = tree.root()
    const a = root.walk('a')
    a.store(cap('one'))
    a.load()
    a.store(cap('two'), { overwrite: true })
    assert.deepEqual(released, ['one'])
    a.store(undefined)
    assert.deepEqual(released, ['one', 'two'])
    root.walk('b/c').store(cap('three'))
    root.walk('d').store(cap('four'))
    tree.drop()
    assert.deepEqual(released.slice(2).sort(), ['four', 'three'])
    assert.throws(() => root.ls(), Closed)
    assert.throws(() => a.walk('x'), Closed)
    a.release() // harmless after drop
  })

  it('stores a copy of bytes, so the caller may reuse its buffer', () => {
    const ref = new AnchorTree().root().walk('b')
    const buf = new TextEncoder().encode('abc')
    ref.store({ kind: 'bytes', bytes: buf })
    buf[0] = 0x7a
    assert.equal(text(ref.load()), 'abc')
  })

  it('enforces maxChildren, maxDepth and maxValueBytes, leaving no half-made anchors behind', () => {
    const tree = new AnchorTree({ limits: { maxChildren: 2, maxDepth: 3, maxValueBytes: 4 } })
    const root = tree.root()
    const x = root.walk('p/x')
    const y = root.walk('p/y')
    assert.throws(() => root.walk('p/z/deeper'), (err: unknown) => err instanceof LimitExceeded && err.message.includes('/p') && err.message.includes('maxChildren 2'))
    assert.equal(tree.size, 4)
    assert.throws(() => root.walk('q/z/too/deep'), LimitExceeded)
    assert.throws(() => x.walk('a/b'), (err: unknown) => err instanceof LimitExceeded && err.message.includes('maxDepth 3'))
    assert.equal(x.walk('a').path, '/p/x/a')
    assert.throws(() => { y.store(bytes('12345')) }, LimitExceeded)
    assert.throws(() => { y.store({ kind: 'bogus' } as unknown as AnchorValue<unknown>) }, InvalidArgument)
    assert.throws(() => root.walk('bad/../path'), InvalidArgument)
  })

  it('a released reference cannot be used', () => {
    const ref = new AnchorTree().root().walk('a')
    ref.release()
    assert.throws(() => ref.load(), Closed)
    assert.throws(() => ref.walk('b'), Closed)
  })

  it('many walks and releases in random order always end with an empty tree', () => {
    const tree = new AnchorTree()
    const root = tree.root()
    let seed = 7
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n }
    const refs = []
    for (let i = 0; i < 2000; i++) {
      const depth = 1 + rand(4)
      const path = Array.from({ length: depth }, () => 'abc'[rand(3)]).join('/')
      const ref = root.walk(path)
      if (rand(2) === 0) refs.push(ref)
      else {
        refs.push(ref.walk('leaf'))
        ref.release()
      }
      if (rand(3) === 0) refs.splice(rand(refs.length), 1)[0].release()
    }
    assert.ok(tree.size > 1)
    while (refs.length > 0) refs.splice(rand(refs.length), 1)[0].release()
    assert.equal(tree.size, 1)
    assert.deepEqual(root.ls(), [])
  })

  it('lookup reaches existing anchors only: a missing one is NotFound naming it, and nothing is created', () => {
    const tree = new AnchorTree({ mount: '/12D3KooWHost' })
    const root = tree.root()
    const box = root.walk('jobs/box')
    box.store(bytes('x'))
    box.release()
    const found = root.lookup('/jobs/box')
    assert.equal(text(found.load()), 'x')
    const jobs = root.lookup('jobs')
    assert.deepEqual(jobs.ls(), [{ name: 'box', kind: 'bytes', children: 0 }])
    assert.equal(root.lookup('').path, '/12D3KooWHost', 'the empty path is the anchor itself')
    assert.throws(() => root.lookup('jobs/typo/deeper'),
      (err: unknown) => err instanceof NotFound && err.message === 'no anchor /12D3KooWHost/jobs/typo')
    assert.throws(() => root.lookup('a/../b'), InvalidArgument)
    assert.equal(tree.size, 3, 'a failed lookup leaves no anchors behind')
    found.release()
    jobs.release()
    const plain = new AnchorTree().root()
    assert.throws(() => plain.lookup('typo'), (err: unknown) => err instanceof NotFound && err.message === 'no anchor /typo')
  })

  it('an anchor with nothing in it that exists (held, or with children) is found: empty is not missing', () => {
    const tree = new AnchorTree()
    const root = tree.root()
    const held = root.walk('held')
    const found = root.lookup('held')
    assert.deepEqual(found.ls(), [])
    found.release()
    held.release()
    assert.throws(() => root.lookup('held'), NotFound, 'released and empty: gone')
  })

  it('clear removes the value (and the anchor, once unreferenced); clearing nothing is NotFound', () => {
    const tree = new AnchorTree({ mount: '/h' })
    const root = tree.root()
    const box = root.walk('box')
    assert.throws(() => { box.clear() }, (err: unknown) => err instanceof NotFound && err.message === 'anchor /h/box holds no value')
    box.store(bytes('x'))
    box.clear()
    assert.equal(box.load(), undefined)
    box.release()
    assert.equal(tree.size, 1)
  })
})
