import assert from 'node:assert/strict'
import { Connection, type Capability } from '../../src/rpc/index.js'
import { memoryPair } from '../../src/transport/index.js'
import { AnchorClient } from '../../src/schema/anchor.rpc.js'
import { Kind } from '../../src/schema/anchor.js'
import { AnchorTree } from '../../src/anchor/tree.js'
import { ServedTree, serveTree } from '../../src/caps/anchor.js'
import { serveClusterRoot } from '../../src/caps/anchor-cluster-root.js'
import { readMessage, writeMessage } from '../../src/caps/chan-message.js'
import { Disconnected, InvalidArgument, NotFound } from '../../src/errors.js'
import { writeValue } from '../../src/caps/anchor-value.js'
import { turns } from '../waiting.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

/**
 * Two hosts, A and B, each with its own tree; A reaches B over an in-memory RPC connection.
 * A serves the cluster root; a client C talks to A only.
 */
function twoHosts (opts: { walkSelf?: boolean, lookupSelf?: boolean } = {}): {
  treeA: AnchorTree<Capability>, treeB: AnchorTree<Capability>, rootB: AnchorClient, live: Set<string>,
  client: AnchorClient, selfWalks: string[], dropB: () => void, stop: () => void
} {
  const treeA = new AnchorTree<Capability>({ mount: '/hostA' })
  const treeB = new AnchorTree<Capability>({ mount: '/hostB' })
  const servedA = new ServedTree(treeA)
  const rootA = servedA.root()
  const rootB = serveTree(treeB)
  const [ab, ba] = memoryPair()
  const bSide = new Connection(ba, { bootstrap: rootB, name: 'B' })
  const aToB = new Connection(ab, { name: 'A->B' })
  const live = new Set(['hostA', 'hostB'])
  const selfWalks: string[] = []
  const cluster = serveClusterRoot({
    self: 'hostA',
    walkSelf: opts.walkSelf === true ? (path) => { selfWalks.push(path); return servedA.walk(path) } : undefined,
    lookupSelf: opts.lookupSelf === true ? (path) => { selfWalks.push(`lookup ${path}`); return servedA.lookup(path) } : undefined,
    peers: () => [...live],
    hostRoot: (peer) => {
      if (peer === 'hostA') return rootA.dup()
      if (peer === 'hostB') return aToB.bootstrap(AnchorClient)
      throw new NotFound(peer)
    }
  })
  const [ca, ac] = memoryPair()
  const aSide = new Connection(ac, { bootstrap: cluster, name: 'A' })
  cluster.release()
  const cToA = new Connection(ca, { name: 'C->A' })
  const client = cToA.bootstrap(AnchorClient)
  return {
    treeA, treeB, rootB, live, client, selfWalks,
    dropB: () => { live.delete('hostB'); aToB.close(); bSide.close() },
    stop: () => { client.release(); cToA.close(); aSide.close(); aToB.close(); bSide.close(); rootA.release(); rootB.release() }
  }
}

describe('anchor: cluster root', function () {
  this.timeout(30000)

  it('lists the live hosts in name order', async () => {
    const h = twoHosts()
    const ls = await h.client.ls()
    assert.deepEqual(ls.children.toArray().map(c => [c.name, c.kind]), [['hostA', Kind.HOST], ['hostB', Kind.HOST]])
    h.stop()
  })

  it('walk("/<B>/mailbox").load() then send, issued together, reaches the channel on B', async () => {
    const h = twoHosts()
    // B makes a channel in its own tree.
    const box = h.rootB.walk((p) => { p.path = 'mailbox' })
    const made = box.pipeline.anchor.makeChan((p) => { p.capacity = 4 })
    const chan = made.pipeline.chan.dup()
    await made
    made.release()
    box.release()
    // C, through A's cluster root: three calls, none waiting for another's answer.
    const w = h.client.walk((p) => { p.path = '/hostB/mailbox' })
    const l = w.pipeline.anchor.load()
    await l.pipeline.value.sender.send((p) => { writeMessage(p._initMsg(), { data: enc('via the cluster root') }) })
    const r = chan.recv()
    assert.equal(dec(readMessage((await r).msg).data), 'via the cluster root')
    for (const x of [r, l, w]) x.release()
    chan.release()
    h.stop()
  })

  it('walks to this host\'s own tree, and "/<peer>" alone gives that host\'s root', async () => {
    const h = twoHosts()
    const w = h.client.walk((p) => { p.path = '/hostA/local/slot' })
    await w.pipeline.anchor.store((p) => { writeValue(p._initValue(), { kind: 'bytes', bytes: enc('here') }) })
    w.release()
    assert.deepEqual(h.treeA.root().ls(), [{ name: 'local', kind: 'empty', children: 1 }])
    const hb = h.client.walk((p) => { p.path = 'hostB' })
    assert.equal((await hb.pipeline.anchor.path()).path, '/hostB')
    hb.release()
    h.stop()
  })

  it('with walkSelf, "/<self>/..." walks the own tree without a call: same tree, same cascade, same errors', async () => {
    const h = twoHosts({ walkSelf: true })
    const w = h.client.walk((p) => { p.path = '/hostA/local/slot' }, { onlyPipeline: true })
    await w.pipeline.anchor.store((p) => { writeValue(p._initValue(), { kind: 'bytes', bytes: enc('here') }) })
    const again = h.client.walk((p) => { p.path = '/peer/local/slot' })
    assert.equal((await again.pipeline.anchor.path()).path, '/hostA/local/slot')
    assert.deepEqual(h.selfWalks, ['/local/slot', '/local/slot'])
    await assert.rejects(h.client.walk((p) => { p.path = '/hostA/a/../b' }).pipeline.anchor.path().results,
      (err: unknown) => err instanceof InvalidArgument && err.message.includes('..'))
    w.release()
    again.release()
    assert.deepEqual(h.treeA.root().ls(), [{ name: 'local', kind: 'empty', children: 1 }], 'the stored value keeps its anchor')
    const at = h.client.walk((p) => { p.path = '/hostA/local/slot' }, { onlyPipeline: true })
    const clear = at.pipeline.anchor.store(() => {})
    await clear
    clear.release()
    at.release()
    await turns()
    assert.deepEqual(h.treeA.root().ls(), [], 'cleared and released: the anchors are gone')
    h.stop()
  })

  for (const lookupSelf of [false, true]) {
    it(`lookup through the cluster root, to this host${lookupSelf ? ' (lookupSelf)' : ''} and to another, pipelined: NotFound instead of creating`, async () => {
      const h = twoHosts({ lookupSelf })
      for (const tree of [h.treeA, h.treeB]) {
        const box = tree.root().walk('jobs/box')
        box.store({ kind: 'bytes', bytes: enc(tree.mount) })
        box.release()
      }
      for (const host of ['hostA', 'peer', 'hostB']) {
        const found = h.client.lookup((p) => { p.path = `/${host}/jobs/box` }, { onlyPipeline: true })
        const want = host === 'hostB' ? '/hostB' : '/hostA'
        assert.equal(dec((await found.pipeline.anchor.load()).value.bytes.toUint8Array()), want)
        found.release()
        const missing = h.client.lookup((p) => { p.path = `/${host}/jobs/typo` }, { onlyPipeline: true })
        await assert.rejects(missing.pipeline.anchor.ls().results,
          (err: unknown) => err instanceof NotFound && err.message === `no anchor ${want}/jobs/typo`)
        missing.release()
      }
      await assert.rejects(h.client.lookup((p) => { p.path = '/12D3KooWNope/x' }).results,
        (err: unknown) => err instanceof NotFound && err.message.includes('no live host "12D3KooWNope"'))
      const hostRoot = h.client.lookup((p) => { p.path = '/hostB' })
      assert.equal((await hostRoot.pipeline.anchor.path()).path, '/hostB')
      hostRoot.release()
      assert.deepEqual(h.selfWalks, lookupSelf ? ['lookup /jobs/box', 'lookup /jobs/typo', 'lookup /jobs/box', 'lookup /jobs/typo'] : [])
      for (const tree of [h.treeA, h.treeB]) assert.deepEqual(tree.root().ls(), [{ name: 'jobs', kind: 'empty', children: 1 }])
      await assert.rejects(h.client.clear().results, InvalidArgument)
      h.stop()
    })
  }

  it('an unknown peer fails with NotFound naming it; the root itself holds no value', async () => {
    const h = twoHosts()
    await assert.rejects(h.client.walk((p) => { p.path = '/12D3KooWNope/x' }).results,
      (err: unknown) => err instanceof NotFound && err.message.includes('12D3KooWNope'))
    await assert.rejects(h.client.store((p) => { writeValue(p._initValue(), { kind: 'bytes', bytes: enc('x') }) }).results, InvalidArgument)
    assert.equal((await h.client.path()).path, '/')
    h.stop()
  })

  it('a host that leaves turns its anchors into Disconnected errors', async () => {
    const h = twoHosts()
    const w = h.client.walk((p) => { p.path = '/hostB/jobs' })
    const jobs = w.pipeline.anchor.dup()
    assert.equal((await jobs.path()).path, '/hostB/jobs', 'paths are reported from the cluster root')
    w.release()
    h.dropB()
    await assert.rejects(jobs.ls().results, Disconnected)
    await assert.rejects(h.client.walk((p) => { p.path = '/hostB/jobs' }).results, NotFound)
    jobs.release()
    h.stop()
  })
})
