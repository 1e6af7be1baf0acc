// A facet of a channel on this host passed guest to guest here rides as a counted local reference (host/local-facet.ts),
// not as an RPC reference per message: the channel must live exactly as long as some guest, or some message, holds
// it, and the reference must still become a real capability when the message leaves through RPC.
import assert from 'node:assert/strict'
import { AnchorTree } from '../../src/anchor/index.js'
import { serveTree } from '../../src/caps/anchor.js'
import { readMessage, writeMessage } from '../../src/caps/chan-message.js'
import { ClusterWorld } from '../../src/host/cluster-world.js'
import type { ChanCap, Message, SenderCap } from '../../src/proc/index.js'
import type { Capability } from '../../src/rpc/index.js'
import type { AnchorClient } from '../../src/schema/anchor.rpc.js'
import { RecverClient, SenderClient } from '../../src/schema/channel.rpc.js'
import { until } from '../proc/helpers.js'

const noSpawn = { spawn: async () => { throw new Error('no spawning here') } }
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (m: Message): string => new TextDecoder().decode(m.data)

/** What ww_sender makes of a channel handle: its send end, one more reference of the channel's. */
function senderOf (c: ChanCap): SenderCap {
  c.ref!.retain()
  return { kind: 'sender', send: c.send, trySend: c.trySend, ref: c.ref, origin: c.origin?.sender }
}

describe('host: a channel facet passed guest to guest on one host', () => {
  let root: AnchorClient
  let a: ClusterWorld
  let b: ClusterWorld
  beforeEach(() => {
    root = serveTree(new AnchorTree<Capability>())
    a = new ClusterWorld(root.dup(), true, noSpawn)
    b = new ClusterWorld(root.dup(), true, noSpawn)
  })
  afterEach(() => {
    a.close()
    b.close()
    root.release()
  })

  /** A channel in `a` whose send end is ready to ride in messages (its facet fetched). */
  async function replyChan (): Promise<ChanCap> {
    const base = a.scope.size
    const reply = a.chan(4)
    await until(() => a.scope.size === base + 2, 10_000, 'the channel and its sender facet')
    return reply
  }

  /** A sender served in JS whose release is counted: put in a channel's buffer, it tells when the channel is dropped. */
  function marker (): { cap: SenderCap, disposed: () => number } {
    let disposed = 0
    const client = SenderClient.serve({ send () {}, [Symbol.dispose] () { disposed++ } })
    const cap = a.scope.wrap('sender', client) as SenderCap
    return { cap, disposed: () => disposed }
  }

  /**
   * A channel in `a` holding a marker in its buffer (the marker's only reference), its send end, and an inbox in `b`:
   * the marker's release tells when the channel is dropped.
   */
  async function holdingMarker (): Promise<{ reply: ChanCap, inbox: ChanCap, tx: SenderCap, m: ReturnType<typeof marker> }> {
    const reply = await replyChan()
    const inbox = b.chan(4)
    const tx = senderOf(reply)
    const m = marker()
    assert.equal(reply.trySend!({ data: bytes('buffered'), cap: m.cap }), true)
    m.cap.ref!.release()
    return { reply, inbox, tx, m }
  }

  it('keeps the channel while a message or another guest holds it, and drops it with the last reference', async () => {
    const { reply, inbox, tx, m } = await holdingMarker()
    for (let i = 0; i < 3; i++) assert.equal(inbox.trySend!({ data: bytes(`ping ${i}`), cap: tx }), true)
    // the guest that made the channel lets go of everything it had
    tx.ref!.release()
    reply.ref!.release()
    a.close()
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(m.disposed(), 0, 'three messages in another guest\'s inbox still hold the channel')
    const got: Message[] = []
    for (let i = 0; i < 3; i++) got.push(inbox.tryRecv!()!)
    assert.deepEqual(got.map(text), ['ping 0', 'ping 1', 'ping 2'])
    for (const g of got) assert.equal(g.cap?.kind, 'chan', 'the reply sender rides along')
    const answer = got[0].cap as ChanCap
    assert.equal(answer.trySend!({ data: bytes('pong') }), true, 'the receiver answers on it')
    await assert.rejects(answer.recv(), /cannot recv/, 'a send end received stays a send end')
    got[0].cap!.ref!.release()
    got[1].cap!.ref!.release()
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(m.disposed(), 0, 'one guest handle still holds the channel')
    got[2].cap!.ref!.release()
    await until(() => m.disposed() === 1, 10_000, 'the channel dropped with the last reference (its buffered capability released)')
    inbox.ref!.release()
  })

  it('a message still buffered when its channel is dropped gives its reference back', async () => {
    const { reply, inbox, tx, m } = await holdingMarker()
    assert.equal(inbox.trySend!({ data: bytes('never read'), cap: tx }), true)
    tx.ref!.release()
    reply.ref!.release()
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(m.disposed(), 0)
    inbox.ref!.release() // b's last handle: the inbox is dropped with its message
    await until(() => m.disposed() === 1, 10_000, 'the reply channel dropped once the message holding it was')
  })

  it('becomes a real capability when the message leaves through RPC', async () => {
    const reply = await replyChan()
    const inbox = b.chan(4)
    const tx = senderOf(reply)
    assert.equal(inbox.trySend!({ data: bytes('over rpc'), cap: tx }), true)
    const recver = RecverClient.from(await inbox.origin!.recver!.export() as Capability)
    try {
      using ans = recver.recv()
      const msg = readMessage((await ans).msg)
      assert.equal(new TextDecoder().decode(msg.data), 'over rpc')
      assert.ok(msg.cap !== null, 'the capability was written into the RPC message')
      const sender = SenderClient.from(msg.cap.dup())
      msg.cap.release()
      using sent = sender.send(p => { writeMessage(p._initMsg(), { data: bytes('answer') }) })
      await sent
      sender.release()
      const answer = reply.tryRecv!()
      assert.equal(answer !== undefined ? text(answer) : undefined, 'answer')
    } finally {
      recver.release()
      tx.ref!.release()
      reply.ref!.release()
      inbox.ref!.release()
    }
  })
})
