// Return.noFinishNeeded: results without capabilities serve no pipelined call and hold nothing
// for a Finish to release, so the callee drops its answer as it returns and says so, and the
// caller sends no Finish. Results with a capability still wait for the Finish. A peer that
// sends a Finish anyway, or pipelines on such an answer, gets no protocol error for it.
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { Connection } from '../../src/rpc/index.js'
import { encodeFrame, memoryPair, type TransportHandler } from '../../src/transport/index.js'
import { recording } from './recording.js'
import { AdderClient, type AdderServer, Adder_Next$Results$Caps } from './gen/rpctest.rpc.js'

const { Params: AddParams, Results: AddResults } = AdderClient.methods.add

function adder (): AdderServer {
  return {
    add (p, r) { r.sum = p.a + p.b; r.via = 'here' },
    next (_p, r) {
      using n = AdderClient.serve(adder())
      Adder_Next$Results$Caps.adder.set(r, n)
    },
    addVia () { throw new Error('no addVia') }
  }
}

const turn = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }
const finishes = (sent: rpc.Message[]): number[] => sent.filter((m) => m.which() === rpc.Message.FINISH).map((m) => m.finish.questionId)
const returns = (sent: rpc.Message[]): rpc.Return[] => sent.filter((m) => m.which() === rpc.Message.RETURN).map((m) => m.return)

describe('rpc: Return.noFinishNeeded', () => {
  it('results without capabilities: the answer ends at the Return and no Finish follows; with one, the Finish is awaited', async () => {
    const [a, b] = memoryPair()
    const fromServer: rpc.Message[] = []
    const fromClient: rpc.Message[] = []
    const boot = AdderClient.serve(adder())
    const server = new Connection(recording(b, fromServer), { bootstrap: boot })
    boot.release()
    const client = new Connection(recording(a, fromClient))
    const root = client.bootstrap(AdderClient)
    await root.add((p) => { p.a = 0n; p.b = 0n })
    await turn()
    const base = { server: server.stats.answers, client: client.stats.questions, finishes: finishes(fromClient).length }

    const sum = root.add((p) => { p.a = 2n; p.b = 3n })
    assert.equal((await sum).sum, 5n)
    const ret = returns(fromServer).at(-1)!
    assert.equal(ret.noFinishNeeded, true, 'the Return of results without capabilities says noFinishNeeded')
    assert.equal(server.stats.answers, base.server, 'the callee dropped the answer as it returned')
    sum.release()
    await turn()
    assert.equal(finishes(fromClient).length, base.finishes, 'the caller sent no Finish')
    assert.equal(client.stats.questions, base.client, 'the question is gone on the caller too')

    const next = root.next()
    await next
    const other = next.pipeline.adder
    assert.equal(returns(fromServer).at(-1)!.noFinishNeeded, false, 'results with a capability need the Finish')
    assert.equal(server.stats.answers, base.server + 1, 'the callee keeps that answer until the Finish')
    using two = other.add((p) => { p.a = 1n; p.b = 1n })
    assert.equal((await two).sum, 2n)
    next.release()
    await turn()
    assert.equal(finishes(fromClient).length, base.finishes + 1, 'the caller sent the Finish')
    assert.equal(server.stats.answers, base.server)
    root.release()
    client.close()
    server.close()
  })

  it('a Finish for an answer dropped so is ignored, and a call pipelined on it fails alone', async () => {
    const [peer, b] = memoryPair()
    const fromServer: rpc.Message[] = []
    const boot = AdderClient.serve(adder())
    const server = new Connection(recording(b, fromServer), { bootstrap: boot })
    boot.release()
    // The peer is played by hand: its frames are written here, the server's are read from fromServer.
    peer.start({ message: () => {}, closed: () => {} } satisfies TransportHandler, { maxMessageBytes: 1 << 20, maxSegments: 16 })
    const send = (msg: capnp.Message): void => {
      const segs = msg._capnp.segments
      peer.send(encodeFrame(segs.map((s) => s.buffer), segs.map((s) => (s.byteLength + 7) & ~7)))
    }
    const add = (questionId: number, target: (t: rpc.MessageTarget) => void): void => {
      const msg = new capnp.Message()
      const call = msg.initRoot(rpc.Message)._initCall()
      call.questionId = questionId
      call.interfaceId = AdderClient.methods.add.interfaceId
      call.methodId = AdderClient.methods.add.methodId
      target(call.target)
      const p = capnp.utils.initStructAt(0, AddParams, call._initParams())
      p.a = 20n
      p.b = 22n
      send(msg)
    }
    const finish = (questionId: number): void => {
      const msg = new capnp.Message()
      msg.initRoot(rpc.Message)._initFinish().questionId = questionId
      send(msg)
    }
    const returnOf = (id: number): rpc.Return | undefined => returns(fromServer).find((r) => r.answerId === id)

    const bootstrap = new capnp.Message()
    bootstrap.initRoot(rpc.Message)._initBootstrap().questionId = 0
    send(bootstrap)
    await turn()
    const exportId = returnOf(0)!.results.capTable.get(0).senderHosted
    add(1, (t) => { t.importedCap = exportId })
    await turn()
    const first = returnOf(1)!
    assert.equal(first.noFinishNeeded, true)
    assert.equal(capnp.utils.getStruct(0, AddResults, first.results).sum, 42n)

    add(2, (t) => { t._initPromisedAnswer().questionId = 1 })
    finish(1)
    await turn()
    const second = returnOf(2)!
    assert.equal(second.which(), rpc.Return.EXCEPTION)
    assert.match(second.exception.reason, /answer 1 is not current/)
    assert.equal(server.error, undefined, 'no protocol error')

    add(1, (t) => { t.importedCap = exportId }) // the id is free again
    await turn()
    assert.equal(returns(fromServer).filter((r) => r.answerId === 1).length, 2)
    assert.equal(server.error, undefined)
    server.close()
  })
})
