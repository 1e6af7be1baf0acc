// Calls made with onlyPipeline (Call.onlyPromisePipeline): the callee sends no Return for them
// and exports nothing for their results; their results serve the calls pipelined on them until
// the caller releases the answer (Finish). Checked on the wire and in every table, directly and
// through a host that forwards the calls to a third party.
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { Canceled, InvalidArgument } from '../../src/errors.js'
import { Connection } from '../../src/rpc/index.js'
import { PIPELINE_ONLY_IDS, QuestionTable } from '../../src/rpc/questions.js'
import { encodeFrame, memoryPair, type MessageTransport } from '../../src/transport/index.js'
import { AdderClient, type AdderServer, Adder_Next$Results$Caps } from './gen/rpctest.rpc.js'
import { turns } from '../waiting.js'

/** Counts the Returns a side sends, and the Calls it sends marked onlyPromisePipeline. */
interface Sent { returns: number, onlyPipelineCalls: number }

function counting (t: MessageTransport, sent: Sent): MessageTransport {
  return {
    start: (h, l) => { t.start(h, l) },
    send: (frame, lazy) => {
      const m = new capnp.Message(frame.slice().buffer, false).getRoot(rpc.Message)
      if (m.which() === rpc.Message.RETURN) sent.returns++
      if (m.which() === rpc.Message.CALL && m.call.onlyPromisePipeline) sent.onlyPipelineCalls++
      t.send(frame, lazy)
    },
    close: (err) => { t.close(err) }
  }
}

/** Adder `a<i>`: next() gives a<i+1>; `alive` counts adders not yet released. */
function adder (i: number, alive: { n: number }): AdderServer {
  alive.n++
  return {
    add (p, r) { r.sum = p.a + p.b; r.via = `a${i}` },
    next (_p, r) {
      using n = AdderClient.serve(adder(i + 1, alive))
      Adder_Next$Results$Caps.adder.set(r, n)
    },
    addVia () { throw new InvalidArgument('no addVia') },
    [Symbol.dispose] () { alive.n-- }
  }
}

/** A connection pair serving `boot`; what each side sends is counted (`sent`: the server, `asked`: the client). */
function link (boot: AdderClient, name: string): { client: Connection, server: Connection, sent: Sent, asked: Sent } {
  const [a, b] = memoryPair()
  const sent: Sent = { returns: 0, onlyPipelineCalls: 0 }
  const asked: Sent = { returns: 0, onlyPipelineCalls: 0 }
  const server = new Connection(counting(b, sent), { bootstrap: boot, name: `${name}-server` })
  const client = new Connection(counting(a, asked), { name: `${name}-client` })
  return { client, server, sent, asked }
}

/** A client of a0 (a new chain of adders), its connections, and how many adders live. */
function served (name: string): { root: AdderClient, client: Connection, server: Connection, sent: Sent, alive: { n: number }, stop: () => void } {
  const alive = { n: 0 }
  const boot = AdderClient.serve(adder(0, alive))
  const { client, server, sent } = link(boot, name)
  boot.release()
  const root = client.bootstrap(AdderClient)
  return { root, client, server, sent, alive, stop: () => { root.release(); client.close(); server.close() } }
}

const settle = turns

describe('rpc: calls made with onlyPipeline', () => {
  it('the callee sends no Return for them; the pipelined call answers; releasing frees every table', async () => {
    const { root, client, server, sent, alive, stop } = served('direct')
    await root.add((p) => { p.a = 0n; p.b = 0n }) // the bootstrap settled: its Return is not counted below
    await settle() // and the Finishes of both are in
    const before = { returns: sent.returns, server: server.stats, client: client.stats }
    {
      using first = root.next(undefined, { onlyPipeline: true })
      using second = first.pipeline.adder.next(undefined, { onlyPipeline: true })
      using sum = second.pipeline.adder.add((p) => { p.a = 2n; p.b = 3n })
      const r = await sum
      assert.equal(r.sum, 5n)
      assert.equal(r.via, 'a2')
      assert.equal(sent.returns - before.returns, 1, 'only the awaited call is answered')
      assert.equal(server.stats.exports, before.server.exports, 'nothing exported for pipeline-only results')
      assert.equal(client.stats.imports, before.client.imports)
      assert.equal(alive.n, 3)
    }
    await settle()
    assert.deepEqual(server.stats, before.server)
    assert.deepEqual(client.stats, before.client)
    assert.equal(alive.n, 1, 'the adders made for the chain are gone with their answers')
    stop()
  })

  it('awaiting such an answer fails with InvalidArgument; a call without the option is answered as usual', async () => {
    const { root, stop } = served('await')
    {
      using only = root.next(undefined, { onlyPipeline: true })
      await assert.rejects(only.results, (err: Error) => err instanceof InvalidArgument && /onlyPipeline/.test(err.message))
      using plain = root.next()
      const r = await plain
      assert.equal(await Adder_Next$Results$Caps.adder.get(r).add((p) => { p.a = 1n; p.b = 1n }).then((x) => x.via), 'a1')
    }
    stop()
  })

  it('releasing the answer sends the Finish: a capability kept from its pipeline then fails with Canceled', async () => {
    const { root, server, alive, stop } = served('release')
    await root.add((p) => { p.a = 0n; p.b = 0n })
    await settle()
    const answers = server.stats.answers
    const only = root.next(undefined, { onlyPipeline: true })
    const kept = only.pipeline.adder.dup()
    {
      using added = kept.add((p) => { p.a = 1n; p.b = 2n })
      assert.equal((await added).via, 'a1')
    }
    await settle()
    assert.equal(server.stats.answers, answers + 1, 'the server keeps the results for pipelining')
    only.release()
    await assert.rejects(kept.add((p) => { p.a = 1n; p.b = 2n }).results, Canceled)
    await settle()
    assert.equal(server.stats.answers, answers)
    assert.equal(alive.n, 1)
    kept.release()
    stop()
  })

  it('a host forwarding such a call to a third party keeps the hint: neither hop sends a Return for it', async () => {
    const alive = { n: 0 }
    const boot = AdderClient.serve(adder(0, alive))
    const far = link(boot, 'far') // host B
    boot.release()
    const fromB = far.client.bootstrap(AdderClient) // host A's import of B's adder
    const near = link(fromB, 'near') // client -> host A
    fromB.release()
    const root = near.client.bootstrap(AdderClient)
    await root.add((p) => { p.a = 0n; p.b = 0n })
    await settle()
    const before = { near: near.sent.returns, far: far.sent.returns, nearAnswers: near.server.stats.answers, farAnswers: far.server.stats.answers }
    {
      using first = root.next(undefined, { onlyPipeline: true })
      using sum = first.pipeline.adder.add((p) => { p.a = 4n; p.b = 5n })
      const r = await sum
      assert.equal(r.sum, 9n)
      assert.equal(r.via, 'a1')
    }
    assert.equal(near.sent.returns - before.near, 1)
    assert.equal(far.sent.returns - before.far, 1)
    assert.equal(near.asked.onlyPipelineCalls, 1)
    assert.equal(far.asked.onlyPipelineCalls, 1, 'A marks the call it forwards')
    await settle()
    assert.equal(far.server.stats.answers, before.farAnswers)
    assert.equal(near.server.stats.answers, before.nearAnswers)
    assert.equal(alive.n, 1)
    root.release()
    for (const c of [near.client, near.server, far.client, far.server]) c.close()
  })

  it('a Return naming a high id this side never gave out is a protocol error, not a late Return', async () => {
    const [a, b] = memoryPair()
    const conn = new Connection(a, { name: 'strict' })
    b.start({ message: () => {}, segment: () => {}, closed: () => {} }, { maxMessageBytes: 1 << 20, maxSegments: 16 })
    const msg = new capnp.Message()
    const ret = msg.initRoot(rpc.Message)._initReturn()
    ret.answerId = 0x80000005
    ret._initResults()
    const segs = msg._capnp.segments
    b.send(encodeFrame(segs.map((s) => s.buffer), segs.map((s) => (s.byteLength + 7) & ~7)))
    await conn.closed
    assert.match(conn.error?.message ?? '', /return for unknown question 2147483653/)
  })

  it('pipeline-only question ids go round the high half in turn; after the wrap, any high id may get a late Return', () => {
    const table = new QuestionTable<string>(0xfffffffe)
    assert.equal(table.add('small', false), 0)
    assert.equal(table.issued(0xffffffff), false, 'not given out yet')
    assert.equal(table.add('a', true), 0xfffffffe)
    assert.equal(table.add('b', true), 0xffffffff)
    table.delete(0xfffffffe)
    assert.equal(table.add('c', true), PIPELINE_ONLY_IDS, 'wrapped to the first high id')
    assert.equal(table.issued(0x80000005), true)
    assert.equal(table.issued(5), false, 'small ids are never late')
    assert.equal(table.get(0xffffffff), 'b')
    assert.equal(table.get(0xfffffffe), undefined)
    assert.equal(table.size, 3)
  })
})
