// A local ww_request's reply channel (CapScope.reply, world.ts ReplySlot): a channel of 1 whose Sender rides guest to
// guest as a local reference and is served only if it leaves through RPC. Each request has its own: an answer that
// comes after the request ended fails Closed and never reaches the next one; what an answer carries is given back.
import assert from 'node:assert/strict'
import { AnchorTree } from '../../src/anchor/index.js'
import { serveTree } from '../../src/caps/anchor.js'
import { writeMessage } from '../../src/caps/chan-message.js'
import { Closed } from '../../src/errors.js'
import { ClusterWorld } from '../../src/host/cluster-world.js'
import type { ChanCap, Message, SenderCap } from '../../src/proc/index.js'
import type { Capability } from '../../src/rpc/index.js'
import type { AnchorClient } from '../../src/schema/anchor.rpc.js'
import { SenderClient } from '../../src/schema/channel.rpc.js'
import { until } from '../proc/helpers.js'
import { withRequestOverRpc } from './request-over-rpc.js'

const noSpawn = { spawn: async () => { throw new Error('no spawning here') } }
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (m: Message | undefined): string | undefined => m === undefined ? undefined : new TextDecoder().decode(m.data)

describe('host: a local request\'s reply slot', () => {
  let root: AnchorClient
  let a: ClusterWorld
  let b: ClusterWorld
  let inbox: ChanCap
  beforeEach(() => {
    root = serveTree(new AnchorTree<Capability>())
    a = new ClusterWorld(root.dup(), true, noSpawn)
    b = new ClusterWorld(root.dup(), true, noSpawn)
    inbox = b.chan(4)
  })
  afterEach(() => {
    inbox.ref!.release()
    a.close()
    b.close()
    root.release()
  })

  /** What the answering guest receives: the request's bytes and the reply sender, as a handle of its own. */
  function received (): Message {
    const m = inbox.tryRecv!()
    assert.ok(m !== undefined && m.cap !== undefined, 'the request arrived with its reply sender')
    return m
  }

  it('answers the request that sent it; a late answer fails Closed and never reaches the next request', async () => {
    const first = a.reply()
    assert.equal(inbox.trySend!({ data: bytes('q1'), cap: first.sender }), true)
    const q1 = received()
    assert.equal(first.tryRecv(), undefined)
    first.end() // the request timed out
    const late = q1.cap as SenderCap
    assert.equal(late.trySend!({ data: bytes('late') }), false)
    await assert.rejects(late.send({ data: bytes('late') }), (err: unknown) => err instanceof Closed)
    const second = a.reply()
    assert.equal(inbox.trySend!({ data: bytes('q2'), cap: second.sender }), true)
    const q2 = received()
    assert.equal((q2.cap as SenderCap).trySend!({ data: bytes('a2') }), true)
    assert.equal(text(second.tryRecv()), 'a2')
    assert.equal(second.tryRecv(), undefined, 'only its own answer')
    second.end()
    q1.cap!.ref!.release()
    q2.cap!.ref!.release()
  })

  it('waits for an answer with recv, and recv ends with the proc\'s signal', async () => {
    const slot = a.reply()
    assert.equal(inbox.trySend!({ data: bytes('q'), cap: slot.sender }), true)
    const q = received()
    const answer = slot.recv()
    assert.equal((q.cap as SenderCap).trySend!({ data: bytes('a') }), true)
    assert.equal(text(await answer), 'a')
    const ctl = new AbortController()
    const never = slot.recv({ signal: ctl.signal })
    ctl.abort()
    await assert.rejects(never, /canceled/)
    slot.end()
    q.cap!.ref!.release()
  })

  it('a capability in an answer nobody took is given back once the last reply sender goes', async () => {
    let disposed = 0
    const marker = b.scope.wrap('sender', SenderClient.serve({ send () {}, [Symbol.dispose] () { disposed++ } })) as SenderCap
    const slot = a.reply()
    assert.equal(inbox.trySend!({ data: bytes('q'), cap: slot.sender }), true)
    const q = received()
    assert.equal((q.cap as SenderCap).trySend!({ data: bytes('a'), cap: marker }), true)
    marker.ref!.release()
    slot.end() // the requester gave up with the answer buffered
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(disposed, 0, 'the answering guest still holds a reply sender')
    q.cap!.ref!.release()
    await until(() => disposed === 1, 10_000, 'the buffered answer\'s capability released with the reply channel')
  })

  it('becomes a real Sender when the request leaves through RPC, and answers through it; Closed after the end', async () => {
    const slot = a.reply()
    assert.equal(inbox.trySend!({ data: bytes('over rpc'), cap: slot.sender }), true)
    await withRequestOverRpc(inbox, async (got, sender) => {
      assert.equal(got, 'over rpc')
      using sent = sender.send(p => { writeMessage(p._initMsg(), { data: bytes('answer') }) })
      await sent
      assert.equal(text(slot.tryRecv()), 'answer')
      slot.end()
      using again = sender.send(p => { writeMessage(p._initMsg(), { data: bytes('too late') }) })
      await assert.rejects(async () => { await again }, /closed/i)
    })
  })
})
