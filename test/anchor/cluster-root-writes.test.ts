// A pipelined chain through the cluster root, C -> A -> B, costs one write each way on both
// links, and no Resolve (A tail-calls B's walk); made with onlyPipeline, only send's Return comes
// back on either link: the writes each transport end makes are counted
// (unix sockets, so messages arrive in I/O callbacks as between real hosts), and every message in
// them is decoded.
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connection, promisedCapability, type Capability } from '../../src/rpc/index.js'
import { connectUnix, listenUnix, type MessageTransport } from '../../src/transport/index.js'
import { AnchorClient } from '../../src/schema/anchor.rpc.js'
import { AnchorTree } from '../../src/anchor/tree.js'
import { serveTree } from '../../src/caps/anchor.js'
import { serveClusterRoot } from '../../src/caps/anchor-cluster-root.js'
import { writeMessage } from '../../src/caps/chan-message.js'
import { NotFound } from '../../src/errors.js'

const kindNames: Record<number, string> = { [rpc.Message.CALL]: 'call', [rpc.Message.RETURN]: 'return', [rpc.Message.FINISH]: 'finish', [rpc.Message.RESOLVE]: 'resolve', [rpc.Message.RELEASE]: 'release', [rpc.Message.DISEMBARGO]: 'disembargo' }

/** The rpc message kinds in one written chunk (whole frames, standard framing). */
function kinds (chunk: Uint8Array): string[] {
  const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  const out: string[] = []
  for (let o = 0; o < chunk.byteLength;) {
    const count = dv.getUint32(o, true) + 1
    const header = (4 + 4 * count + 7) & ~7
    let words = 0
    for (let i = 0; i < count; i++) words += dv.getUint32(o + 4 + 4 * i, true)
    const frame = chunk.slice(o, o + header + words * 8)
    const which = new capnp.Message(frame, false).getRoot(rpc.Message).which()
    out.push(kindNames[which] ?? String(which))
    o += frame.byteLength
  }
  return out
}

/** Records the writes a transport makes to its socket. */
function tap (end: MessageTransport): string[][] {
  const writes: string[][] = []
  const e = end as unknown as { write: (chunk: Uint8Array) => void }
  const write = e.write.bind(e)
  e.write = (chunk) => { writes.push(kinds(chunk)); write(chunk) }
  return writes
}

/** A connected pair of unix-socket transports: [dialer's end, listener's end]. */
async function socketPair (path: string, servers: Server[]): Promise<[MessageTransport, MessageTransport]> {
  let accepted!: (t: MessageTransport) => void
  const listenerEnd = new Promise<MessageTransport>((resolve) => { accepted = resolve })
  servers.push(await listenUnix(path, accepted))
  const dialerEnd = await connectUnix(path)
  return [dialerEnd, await listenerEnd]
}

const macrotask = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

describe('anchor: cluster root, writes of a forwarded pipelined chain', function () {
  this.timeout(30000)

  let dir: string
  const servers: Server[] = []
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ww-writes-')) })
  afterEach(() => { for (const s of servers.splice(0)) s.close(); rmSync(dir, { recursive: true, force: true }) })

  // hostRoot: B's root known (what PeerHosts gives once the link is up), or still a promise (dialing).
  for (const dialing of [false, true]) {
    for (const onlyPipeline of [false, true]) {
      const returns = onlyPipeline ? ['return'] : ['return', 'return', 'return']
      it(`walk -> load -> send${onlyPipeline ? ' (walk and load onlyPipeline)' : ''}: one write each way on each link, ${returns.length} Return(s)${dialing ? ' (B\'s root a promise)' : ''}`, async () => {
      const treeB = new AnchorTree<Capability>({ mount: '/hostB' })
      const rootB = serveTree(treeB)
      const [ab, ba] = await socketPair(join(dir, 'b'), servers)
      const bSide = new Connection(ba, { bootstrap: rootB, name: 'B' })
      const aToB = new Connection(ab, { name: 'A->B' })
      const bRoot = aToB.bootstrap(AnchorClient)
      const cluster = serveClusterRoot({ peers: () => ['hostB'], hostRoot: (peer) => {
        if (peer !== 'hostB') throw new NotFound(peer)
        return dialing ? promisedCapability(AnchorClient, Promise.resolve(bRoot.dup())) : bRoot.dup()
      } })
      const [ca, ac] = await socketPair(join(dir, 'a'), servers)
      const aSide = new Connection(ac, { bootstrap: cluster, name: 'A' })
      cluster.release()
      const cToA = new Connection(ca, { name: 'C->A' })
      const client = cToA.bootstrap(AnchorClient)

      const made = bRoot.walk((p) => { p.path = 'mailbox' }).pipeline.anchor.makeChan((p) => { p.capacity = 4 })
      const chan = made.pipeline.chan.dup()
      await made
      made.release()

      const chain = async (): Promise<void> => {
        const w = client.walk((p) => { p.path = '/hostB/mailbox' }, { onlyPipeline })
        const l = w.pipeline.anchor.load(undefined, { onlyPipeline })
        const s = l.pipeline.value.sender.send((p) => { writeMessage(p._initMsg(), { data: new Uint8Array([1]) }) })
        await s
        for (const x of [s, l, w]) x.release()
      }
      await chain() // warm: the link to B is up
      const r = chan.recv()
      await r
      r.release()
      await macrotask() // lazy Finish and Release frames are out
      await macrotask()

      const toB = tap(ab)
      const toA = tap(ba)
      const toC = tap(ac)
      await chain()
      // (lazy Finish and Release frames may go in writes of their own, after the chain's)
      const of = (writes: string[][], ...wanted: string[]): string[][] => writes.map(w => w.filter(k => wanted.includes(k))).filter(w => w.length > 0)
      assert.deepEqual(of(toB, 'call'), [['call', 'call', 'call']], `A -> B writes: ${JSON.stringify(toB)}`)
      assert.deepEqual(of(toA, 'return'), [returns], `B -> A writes: ${JSON.stringify(toA)}`)
      assert.deepEqual(of(toC, 'return', 'resolve'), [returns], `A -> C writes: ${JSON.stringify(toC)}`)

      for (const x of [chan, client, bRoot]) x.release()
      for (const c of [cToA, aSide, aToB, bSide]) c.close()
      rootB.release()
      })
    }
  }
})
