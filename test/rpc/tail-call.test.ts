// ctx.tailCall(answer): a handler hands its call's results over to another call.
import assert from 'node:assert/strict'
import { Connection } from '../../src/rpc/index.js'
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { memoryPair, type MessageTransport } from '../../src/transport/index.js'
import { InvalidArgument } from '../../src/errors.js'
import { AdderClient, type AdderServer, Adder_AddVia$Params$Caps, Adder_Next$Results$Caps } from './gen/rpctest.rpc.js'
import { eventually, turns } from '../waiting.js'

/** An adder that answers itself, named so a result tells who computed it. */
function plainAdder (name: string, log: { disposed: string[] }, next?: () => AdderClient): AdderServer {
  return {
    add (p, r) { r.sum = p.a + p.b; r.via = name },
    next (_p, r) {
      if (next === undefined) throw new InvalidArgument(`${name} has no next`)
      const n = next()
      Adder_Next$Results$Caps.adder.set(r, n)
      n.release()
    },
    addVia () { throw new InvalidArgument('not here') },
    [Symbol.dispose] () { log.disposed.push(name) }
  }
}

/** An adder whose every method tail-calls `back` (or the adder given in the params). */
function forwarder (back: AdderClient, log: { disposed: string[] }): AdderServer {
  return {
    async add (p, r, ctx) {
      r.via = 'front (must be dropped)'
      const a = p.a
      const b = p.b
      await new Promise((resolve) => setTimeout(resolve, 1))
      ctx.tailCall(back.add((q) => { q.a = a; q.b = b }))
    },
    next (_p, _r, ctx) { ctx.tailCall(back.next()) },
    addVia (p, _r, ctx) {
      const target = Adder_AddVia$Params$Caps.adder.get(p)
      const a = p.a
      const b = p.b
      ctx.tailCall(target.add((q) => { q.a = a; q.b = b }))
    },
    [Symbol.dispose] () { back.release(); log.disposed.push('front') }
  }
}

/** Records what the server side sends: 'call:yourself', 'return:takeFromOtherQuestion', ... */
function recording (t: MessageTransport, seen: string[]): MessageTransport {
  const note = (frame: Uint8Array): void => {
    const m = new capnp.Message(frame.slice().buffer, false).getRoot(rpc.Message)
    if (m.which() === rpc.Message.CALL) seen.push(m.call.sendResultsTo.which() === rpc.Call_SendResultsTo.YOURSELF ? 'call:yourself' : 'call:caller')
    if (m.which() === rpc.Message.RETURN) seen.push(m.return.which() === rpc.Return.TAKE_FROM_OTHER_QUESTION ? 'return:takeFromOtherQuestion' : 'return')
  }
  return {
    start: (h, l) => { t.start(h, l) },
    send: (frame, lazy) => { note(frame); t.send(frame, lazy) },
    close: (err) => { t.close(err) }
  }
}

function connect (bootstrap: AdderClient, serverSent: string[] = []): { client: Connection, server: Connection } {
  const [a, b0] = memoryPair()
  const b = recording(b0, serverSent)
  const server = new Connection(b, { bootstrap, name: 'server' })
  const client = new Connection(a, { name: 'client' })
  return { client, server }
}

describe('rpc: handler tail calls (ctx.tailCall)', function () {
  this.timeout(60_000)

  it('forwards results of a local call, with pipelining through it', async () => {
    const log = { disposed: [] as string[] }
    const back = AdderClient.serve(plainAdder('back', log, () => AdderClient.serve(plainAdder('third', log))))
    const front = AdderClient.serve(forwarder(back, log))
    using sum = front.add((p) => { p.a = 40n; p.b = 2n })
    const r = await sum
    assert.equal(r.sum, 42n)
    assert.equal(r.via, 'back')
    using n = front.next()
    using piped = n.pipeline.adder.add((p) => { p.a = 1n; p.b = 1n })
    assert.equal((await piped).via, 'third')
    n.release()
    front.release()
    assert.deepEqual(log.disposed.sort(), ['back', 'front', 'third'])
  })

  it('forwards across a connection, both to a server-side cap and back to a caller-hosted one', async () => {
    const log = { disposed: [] as string[] }
    const back = AdderClient.serve(plainAdder('back', log, () => AdderClient.serve(plainAdder('third', log))))
    const local = AdderClient.serve(forwarder(back, log))
    const sent: string[] = []
    const { client, server } = connect(local, sent)
    local.release()
    const front = client.bootstrap(AdderClient)
    {
      using sum = front.add((p) => { p.a = 5n; p.b = 6n })
      assert.deepEqual([(await sum).sum, (await sum).via], [11n, 'back'])
      using n = front.next()
      using piped = n.pipeline.adder.add((p) => { p.a = 2n; p.b = 2n })
      assert.equal((await piped).via, 'third')
      const mine = AdderClient.serve(plainAdder('client', log))
      using via = front.addVia((p) => { Adder_AddVia$Params$Caps.adder.set(p, mine); p.a = 7n; p.b = 8n })
      mine.release()
      const r = await via
      assert.equal(r.sum, 15n)
      assert.equal(r.via, 'client')
      // back to the caller's own cap: a wire tail call, the results never come back through us
      assert.ok(sent.includes('call:yourself') && sent.includes('return:takeFromOtherQuestion'), `server sent: ${sent.join(', ')}`)
    }
    front.release()
    await turns()
    assert.deepEqual(server.stats.exports, 0)
    assert.deepEqual(client.stats.exports, 0)
    assert.ok(log.disposed.includes('client'), 'the caller-hosted adder was released after the tail call')
    assert.ok(log.disposed.includes('third'))
    client.close()
    await server.closed
    assert.ok(log.disposed.includes('front') && log.disposed.includes('back'))
  })

  it('canceling the outer call cancels the call it tail-called', async () => {
    let started = 0
    let aborted = 0
    const hang: AdderServer = {
      async add (_p, _r, ctx) { started++; await new Promise<void>((resolve) => { ctx.signal.addEventListener('abort', () => { aborted++; resolve() }) }) },
      next () {},
      addVia () {}
    }
    const back = AdderClient.serve(hang)
    const local = AdderClient.serve(forwarder(back, { disposed: [] }))
    const { client, server } = connect(local)
    local.release()
    const front = client.bootstrap(AdderClient)
    const pending = front.add((p) => { p.a = 1n; p.b = 1n })
    await eventually('the tail-called add to start', () => started === 1)
    pending.release()
    await assert.rejects(pending.results)
    await eventually('the tail-called add to be aborted', () => aborted === 1)
    front.release()
    client.close()
    await server.closed
  })

  it('tailCall twice is an error the caller sees', async () => {
    const back = AdderClient.serve(plainAdder('back', { disposed: [] }))
    const twice = AdderClient.serve({
      add (_p, _r, ctx) { ctx.tailCall(back.add()); ctx.tailCall(back.add()) },
      next () {},
      addVia () {}
    })
    using a = twice.add()
    await assert.rejects(a.results, (err: Error) => err instanceof InvalidArgument && /twice/.test(err.message))
    twice.release()
    back.release()
  })
})
