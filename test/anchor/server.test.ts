import assert from 'node:assert/strict'
import { Connection, type Capability } from '../../src/rpc/index.js'
import { memoryPair } from '../../src/transport/index.js'
import { AnchorClient, Anchor_Load$Results$Caps } from '../../src/schema/anchor.rpc.js'
import { Kind, Value_Which } from '../../src/schema/anchor.js'
import { SenderClient, ChanClient } from '../../src/schema/channel.rpc.js'
import { AnchorTree } from '../../src/anchor/tree.js'
import { serveTree } from '../../src/caps/anchor.js'
import { writeValue } from '../../src/caps/anchor-value.js'
import { readMessage, writeMessage } from '../../src/caps/chan-message.js'
import { InvalidArgument, NotFound, Occupied } from '../../src/errors.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

async function eventually (what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise(resolve => setTimeout(resolve, 10))
  assert.ok(cond(), what)
}

/** A tree served on one side of an in-memory connection; `connect` gives clients of its root. */
function servedTree (): { tree: AnchorTree<Capability>, connect: () => AnchorClient, stop: () => void } {
  const tree = new AnchorTree<Capability>()
  const root = serveTree(tree)
  const conns: Connection[] = []
  return {
    tree,
    connect: () => {
      const [a, b] = memoryPair()
      conns.push(new Connection(b, { bootstrap: root }), new Connection(a))
      return conns[conns.length - 1].bootstrap(AnchorClient)
    },
    stop: () => { for (const c of conns) c.close(); root.release() }
  }
}

/** A tree served over one in-memory connection, with both ends at hand. */
function servedOverPair (): { tree: AnchorTree<Capability>, served: AnchorClient, server: Connection, client: Connection, root: AnchorClient } {
  const tree = new AnchorTree<Capability>()
  const served = serveTree(tree)
  const [a, b] = memoryPair()
  const server = new Connection(b, { bootstrap: served })
  const client = new Connection(a)
  return { tree, served, server, client, root: client.bootstrap(AnchorClient) }
}

/** Walks and keeps a reference of its own (releasing an unsettled answer would cancel the call). */
async function walk (from: AnchorClient, path: string): Promise<AnchorClient> {
  const ans = from.walk((p) => { p.path = path })
  try {
    await ans
    return ans.pipeline.anchor.dup()
  } finally {
    ans.release()
  }
}

describe('anchor: Anchor capability over RPC', function () {
  this.timeout(30000)

  it('walks to an anchor already served share its capability (one export); the anchor goes with the last reference', async () => {
    const { tree, served, server, client, root } = servedOverPair()
    const first = await walk(root, 'a/b')
    const exportsAfterOne = server.stats.exports
    const second = await walk(root, '/a/b')
    const toA = await walk(root, 'a')
    const viaA = await walk(toA, 'b')
    assert.equal(server.stats.exports, exportsAfterOne + 1, 'only the walk to a made a new export')
    assert.equal((await second.path()).path, '/a/b')
    first.release()
    second.release()
    toA.release()
    assert.equal((await viaA.path()).path, '/a/b', 'the last reference still works')
    assert.equal(tree.size, 3)
    viaA.release()
    await eventually('the anchors went with the last reference', () => tree.size === 1)
    root.release()
    client.close()
    server.close()
    served.release()
  })

  it('walk a/b/c remotely, release the capability: the tree is empty again', async () => {
    const { tree, connect, stop } = servedTree()
    const root = connect()
    const c = await walk(root, 'a/b/c')
    assert.equal((await c.path()).path, '/a/b/c')
    assert.equal(tree.size, 4)
    c.release()
    await eventually('the release reached the tree', () => tree.size === 1)
    root.release()
    stop()
  })

  it('ls, store and load bytes, Occupied on overwrite=false, clearing', async () => {
    const { tree, connect, stop } = servedTree()
    const root = connect()
    const box = await walk(root, 'jobs/box')
    await box.store((p) => { writeValue(p._initValue(), { kind: 'bytes', bytes: enc('v1') }) })
    await assert.rejects(box.store((p) => { writeValue(p._initValue(), { kind: 'bytes', bytes: enc('v2') }) }).results,
      (err: unknown) => err instanceof Occupied && err.message.includes('/jobs/box'))
    await box.store((p) => { writeValue(p._initValue(), { kind: 'bytes', bytes: enc('v2') }); p.overwrite = true })
    const loaded = await box.load()
    assert.equal(dec(loaded.value.bytes.toUint8Array()), 'v2')
    const jobs = await walk(root, 'jobs')
    const ls = await jobs.ls()
    assert.deepEqual(ls.children.toArray().map(c => [c.name, c.kind, c.children]), [['box', Kind.BYTES, 0]])
    box.release()
    jobs.release()
    await eventually('anchors with a value survive', () => tree.size === 3)
    const again = await walk(root, 'jobs/box')
    await again.store((p) => { writeValue(p._initValue(), undefined) })
    assert.equal((await again.load()).value.which(), 0)
    again.release()
    await eventually('clearing the last value empties the tree', () => tree.size === 1)
    root.release()
    stop()
  })

  it('lookup reaches an existing anchor over RPC and creates nothing; clear of nothing is NotFound', async () => {
    const { tree, connect, stop } = servedTree()
    const root = connect()
    const box = await walk(root, 'jobs/box')
    await box.store((p) => { writeValue(p._initValue(), { kind: 'bytes', bytes: enc('v1') }) })
    box.release()
    const found = root.lookup((p) => { p.path = '/jobs/box' }, { onlyPipeline: true })
    assert.equal(dec((await found.pipeline.anchor.load()).value.bytes.toUint8Array()), 'v1')
    const missing = root.lookup((p) => { p.path = 'jobs/typo' }, { onlyPipeline: true })
    await assert.rejects(missing.pipeline.anchor.ls().results, (err: unknown) => err instanceof NotFound && err.message === 'no anchor /jobs/typo')
    missing.release()
    assert.deepEqual(tree.root().ls(), [{ name: 'jobs', kind: 'empty', children: 1 }], 'the failed lookup made nothing')
    await found.pipeline.anchor.clear()
    await assert.rejects(found.pipeline.anchor.clear().results, (err: unknown) => err instanceof NotFound && /holds no value/.test(err.message))
    found.release()
    await eventually('cleared and released: the tree is empty', () => tree.size === 1)
    root.release()
    stop()
  })

  it('a bad path fails with InvalidArgument naming the bad part', async () => {
    const { connect, stop } = servedTree()
    const root = connect()
    await assert.rejects(root.walk((p) => { p.path = 'ok/../etc' }).results,
      (err: unknown) => err instanceof InvalidArgument && err.message.includes('component 2 ".."'))
    root.release()
    stop()
  })

  it('makeChan stores a channel; another client walks, loads and sends, pipelined in one go', async () => {
    const { tree, connect, stop } = servedTree()
    const a = connect()
    const b = connect()
    const mailbox = await walk(a, 'mailbox')
    const made = mailbox.makeChan((p) => { p.capacity = 4 })
    const chan = made.pipeline.chan.dup()
    await made
    made.release()
    // B: walk -> load -> send without waiting for any of the answers.
    const w = b.walk((p) => { p.path = '/mailbox' })
    const l = w.pipeline.anchor.load()
    const sent = l.pipeline.value.sender.send((p) => { writeMessage(p._initMsg(), { data: enc('hello') }) })
    await sent
    const r = chan.recv()
    assert.equal(dec(readMessage((await r).msg).data), 'hello')
    r.release()
    for (const x of [l, w]) x.release()
    assert.deepEqual(tree.root().ls(), [{ name: 'mailbox', kind: 'chan', children: 0 }])
    const again = await walk(a, 'mailbox')
    await assert.rejects(again.makeChan((p) => { p.capacity = 1 }).results, Occupied)
    for (const x of [again, chan, mailbox, a, b]) x.release()
    stop()
  })

  it('a capability stored by one client reaches its server when another loads it; clearing releases it', async () => {
    const { connect, stop } = servedTree()
    const a = connect()
    const b = connect()
    const got: string[] = []
    let disposed = 0
    const inbox = SenderClient.serve({
      send (p) { got.push(dec(readMessage(p.msg).data)) },
      [Symbol.dispose] () { disposed++ }
    })
    const slot = await walk(a, 'inbox')
    await slot.store((p) => { writeValue(p._initValue(), { kind: 'sender', cap: inbox }) })
    inbox.release()
    const fromB = await walk(b, 'inbox')
    const l = fromB.load()
    await l.pipeline.value.sender.send((p) => { writeMessage(p._initMsg(), { data: enc('from b') }) })
    l.release()
    assert.deepEqual(got, ['from b'])
    assert.deepEqual((await fromB.ls()).children.length, 0)
    await fromB.store((p) => { writeValue(p._initValue(), undefined) })
    await eventually('the stored sender was released', () => disposed === 1)
    for (const x of [slot, fromB, a, b]) x.release()
    stop()
  })

  it('load also carries the capability in the plain field cap: pipelining on it (as C++ clients must) sends in one go; bytes leave it null; the extra reference goes with the answer', async () => {
    const { connect, stop } = servedTree()
    const a = connect()
    const got: string[] = []
    let disposed = 0
    const inbox = SenderClient.serve({
      send (p) { got.push(dec(readMessage(p.msg).data)) },
      [Symbol.dispose] () { disposed++ }
    })
    const slot = await walk(a, 'inbox')
    await slot.store((p) => { writeValue(p._initValue(), { kind: 'sender', cap: inbox }) })
    inbox.release()
    // walk -> load -> send on results.cap, without waiting for any answer: the path a C++ client takes.
    const w = a.walk((p) => { p.path = 'inbox' })
    const l = w.pipeline.anchor.load()
    const sender = l.pipeline.cap.as(SenderClient)
    await sender.send((p) => { writeMessage(p._initMsg(), { data: enc('through cap') }) })
    assert.deepEqual(got, ['through cap'])
    assert.equal((await l).value.which(), Value_Which.SENDER, 'the union holds the sender as before')
    for (const x of [sender, l, w]) x.release()
    const bytesAt = await walk(a, 'bytes')
    await bytesAt.store((p) => { writeValue(p._initValue(), { kind: 'bytes', bytes: enc('x') }) })
    const lb = bytesAt.load()
    assert.equal(Anchor_Load$Results$Caps.cap.has(await lb), false, 'no capability for a bytes value')
    lb.release()
    await slot.store((p) => { writeValue(p._initValue(), undefined) })
    await eventually('the stored sender was released: no reference was left behind by the second field', () => disposed === 1)
    for (const x of [slot, bytesAt, a]) x.release()
    stop()
  })

  it('a client whose connection drops releases its anchors', async () => {
    const { tree, served: root, server, client, root: r } = servedOverPair()
    const deep = await walk(r, 'x/y/z')
    await deep.path()
    assert.equal(tree.size, 4)
    client.close()
    await server.closed
    await eventually('the tree is empty after the disconnect', () => tree.size === 1)
    for (const c of [deep, r, root]) c.release()
  })

  it('dropping the tree releases the capabilities stored in it', async () => {
    const tree = new AnchorTree<Capability>()
    const root = serveTree(tree)
    let disposed = 0
    const stored = SenderClient.serve({ send () {}, [Symbol.dispose] () { disposed++ } })
    await (await walk(root, 'deep/slot')).store((p) => { writeValue(p._initValue(), { kind: 'sender', cap: stored }) })
    stored.release()
    const made = root.makeChan((p) => { p.capacity = 1 })
    await made
    const chan = ChanClient.from(made.pipeline.chan.dup())
    made.release()
    assert.equal(disposed, 0)
    tree.drop()
    assert.equal(disposed, 1)
    // The channel lives on with whoever still holds it; the tree no longer does.
    await chan.send((p) => { writeMessage(p._initMsg(), { data: enc('x') }) })
    chan.release()
    root.release()
  })
})
