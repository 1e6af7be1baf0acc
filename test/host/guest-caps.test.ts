// Guest channels through anchors, as two procs' worlds see them: on the same host (the facet
// loaded back is used on its Chan directly) and across an RPC connection (Sender calls); and the
// lifetime of the capabilities a guest receives (released with its last handle).
import assert from 'node:assert/strict'
import { AnchorTree } from '../../src/anchor/index.js'
import { serveTree } from '../../src/caps/anchor.js'
import { writeMessage } from '../../src/caps/chan-message.js'
import { ClusterWorld } from '../../src/host/cluster-world.js'
import { Executor, type ChanCap, type Message, type SenderCap } from '../../src/proc/index.js'
import { Connection, type Capability } from '../../src/rpc/index.js'
import { AnchorClient, Value$Caps } from '../../src/schema/anchor.rpc.js'
import { SenderClient } from '../../src/schema/channel.rpc.js'
import { memoryPair } from '../../src/transport/index.js'
import { guest, sharedCache, until } from '../proc/helpers.js'

const noSpawn = { spawn: async () => { throw new Error('no spawning here') } }
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (m: Message): string => new TextDecoder().decode(m.data)

/** An echo inbox in world `a` stored at /box; returns the inbox. */
async function inbox (a: ClusterWorld): Promise<ChanCap> {
  const box = a.chan(4)
  const tx: SenderCap = { kind: 'sender', send: box.send, trySend: box.trySend, origin: box.origin?.sender }
  await a.store(['box'], { cap: tx }, false)
  return box
}

/** Sends n requests from `b` through the loaded sender, each with a reply sender; `a` answers on it. */
async function pingPong (a: ChanCap, sender: SenderCap, b: ClusterWorld, n: number): Promise<string[]> {
  const reply = b.chan(1)
  const replyTx: SenderCap = { kind: 'sender', send: reply.send, trySend: reply.trySend, origin: reply.origin?.sender }
  const echo = (async () => {
    for (let i = 0; i < n; i++) {
      const m = await a.recv()
      assert.ok(m.cap !== undefined && 'send' in m.cap, 'the reply sender rides along')
      await m.cap.send({ data: bytes(`re ${text(m)}`) })
    }
  })()
  const got: string[] = []
  for (let i = 0; i < n; i++) {
    await sender.send({ data: bytes(`ping ${i}`), cap: replyTx })
    got.push(text(await reply.recv()))
  }
  await echo
  return got
}

describe('host: guest channels through anchors', () => {
  const expected = (n: number): string[] => Array.from({ length: n }, (_, i) => `re ping ${i}`)

  it('a sender loaded on the host that serves its channel sends without RPC (and without waiting)', async () => {
    const tree = new AnchorTree<Capability>()
    const root = serveTree(tree)
    const a = new ClusterWorld(root.dup(), true, noSpawn)
    const b = new ClusterWorld(root.dup(), true, noSpawn)
    try {
      const box = await inbox(a)
      const v = await b.load(['box'])
      assert.ok('cap' in v && v.cap.kind === 'sender')
      const sender = v.cap
      assert.equal(typeof sender.trySend, 'function', 'a local channel takes a message at once when it has room')
      assert.deepEqual(await pingPong(box, sender, b, 20), expected(20))
      assert.equal(sender.trySend!({ data: bytes('direct') }), true)
      assert.equal(text(await box.recv()), 'direct')
      box.close()
      await assert.rejects(sender.send({ data: bytes('late') }), /closed/i)
    } finally {
      a.close()
      b.close()
      root.release()
    }
  })

  it('a sender loaded over an RPC connection sends with Sender calls, in order, caps riding along both ways', async () => {
    const tree = new AnchorTree<Capability>()
    const root = serveTree(tree)
    const [x, y] = memoryPair()
    const server = new Connection(x, { bootstrap: root })
    const client = new Connection(y)
    const a = new ClusterWorld(root.dup(), true, noSpawn)
    const b = new ClusterWorld(client.bootstrap(AnchorClient), true, noSpawn)
    try {
      const box = await inbox(a)
      const v = await b.load(['box'])
      assert.ok('cap' in v && v.cap.kind === 'sender')
      assert.equal(v.cap.trySend, undefined, 'a remote send waits for its Return')
      assert.deepEqual(await pingPong(box, v.cap, b, 20), expected(20))
    } finally {
      a.close()
      b.close()
      client.close()
      server.close()
      root.release()
    }
  })
})

describe('host: a guest holds the capabilities it receives only while it has handles to them', function () {
  this.timeout(300_000)

  it('facets of one channel share its references: the last handle going releases them', async () => {
    const root = serveTree(new AnchorTree<Capability>())
    const w = new ClusterWorld(root.dup(), true, noSpawn)
    try {
      const base = w.scope.size
      const c = w.chan(4)
      await until(() => w.scope.size === base + 2, 10_000, 'the channel and its sender facet') // served chan + prewarmed sender
      c.ref!.retain() // a second handle (ww_sender)
      c.ref!.release()
      assert.equal(w.scope.size, base + 2, 'one handle is left')
      c.ref!.release()
      assert.equal(w.scope.size, base, 'the last handle went')
    } finally {
      w.close()
      root.release()
    }
  })

  it('an echo guest answering 10,000 messages, each with a reply capability from the peer, keeps none of them', async () => {
    const N = 10_000
    const WINDOW = 64
    const root = serveTree(new AnchorTree<Capability>())
    const [x, y] = memoryPair()
    const server = new Connection(x, { bootstrap: root.dup() })
    const client = new Connection(y)
    let world: ClusterWorld | undefined
    const executor = new Executor({
      cache: sharedCache,
      world: () => { world = new ClusterWorld(root.dup(), true, noSpawn); return world }
    })
    const peerRoot = client.bootstrap(AnchorClient)
    try {
      const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: ['/box', String(N)] })
      let box: SenderClient | undefined
      for (let tries = 0; box === undefined; tries++) {
        using walk = peerRoot.walk(p => { p.path = '/box' })
        using ans = walk.pipeline.anchor.load()
        const v = (await ans).value
        if (Value$Caps.cap.has(v)) box = SenderClient.from(Value$Caps.cap.get(v).dup())
        else await new Promise(resolve => setTimeout(resolve, 20))
        assert.ok(tries < 3000, 'echo stored its box')
      }
      let answered = 0
      let disposed = 0
      let maxHeld = 0
      const inFlight = new Set<Promise<void>>()
      for (let i = 0; i < N; i++) {
        using reply = SenderClient.serve({
          send () { answered++ },
          [Symbol.dispose] () { disposed++ }
        })
        const sent = (async () => {
          using ans = box.send(p => { writeMessage(p._initMsg(), { data: new TextEncoder().encode(`m${i}`), cap: reply }) })
          await ans
        })()
        inFlight.add(sent)
        void sent.finally(() => inFlight.delete(sent))
        if (inFlight.size >= WINDOW) await Promise.race(inFlight)
        maxHeld = Math.max(maxHeld, world!.scope.size)
      }
      await Promise.all(inFlight)
      const st = await echo.wait()
      assert.equal(st.reason, 'exited', st.message)
      assert.equal(answered, N)
      assert.ok(maxHeld <= 16, `the echo's scope held at most ${maxHeld} references (bounded, not one per message)`)
      await until(() => disposed === N, 30_000, `every reply capability disposed (${disposed} of ${N})`)
      assert.ok(world!.scope.size <= 1, `after the guest ended its scope holds ${world!.scope.size} (its root)`)
      box.release()
    } finally {
      peerRoot.release()
      await executor.close()
      world?.close()
      client.close()
      server.close()
      root.release()
    }
  })
})
