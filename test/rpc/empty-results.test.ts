// Results with nothing in them (`-> ()`, `-> stream`) travel without a message of their own on
// either side (src/rpc/wire/empty-results.ts). On the wire the Return is the usual one; a caller that
// expects fields reads defaults; the one shared message is never written to.
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { Connection } from '../../src/rpc/index.js'
import { addCap } from '../../src/rpc/hooks.js'
import { EMPTY_RESULTS } from '../../src/rpc/wire/empty-results.js'
import { memoryPair } from '../../src/transport/index.js'
import { recording } from './recording.js'
import { SinkClient, type SinkServer } from './gen/rpctest.rpc.js'

function sink (): SinkServer & { writes: number } {
  return {
    writes: 0,
    write () { this.writes++ },
    count (_p, r) { r.writes = this.writes; r.bytes = 0n }
  }
}

const bytesOf = (msg: capnp.Message): Uint8Array => {
  const seg = msg.getSegment(0)
  return new Uint8Array(seg.buffer, 0, seg.byteLength).slice()
}

describe('rpc: empty results', () => {
  const shared = bytesOf(EMPTY_RESULTS)

  it('go out as an ordinary Return, and each caller reads its own; a caller expecting fields reads defaults', async () => {
    const [a, b] = memoryPair()
    const fromServer: rpc.Message[] = []
    const impl = sink()
    const boot = SinkClient.serve(impl)
    const server = new Connection(recording(b, fromServer), { bootstrap: boot })
    boot.release()
    const client = new Connection(a)
    const root = client.bootstrap(SinkClient)
    const { write, count } = SinkClient.methods
    const answers = Array.from({ length: 50 }, (_, i) => root.call(write, (p) => { p.seq = i }))
    for (const answer of answers) {
      await answer
      answer.release()
    }
    assert.equal(impl.writes, 50)
    const rets = fromServer.filter((m) => m.which() === rpc.Message.RETURN).map((m) => m.return).slice(-50)
    assert.deepEqual(rets.map((r) => r.answerId).sort((x, y) => x - y), [...new Set(rets.map((r) => r.answerId))].sort((x, y) => x - y), 'one Return per question')
    for (const r of rets) {
      assert.equal(r.which(), rpc.Return.RESULTS)
      assert.equal(r.releaseParamCaps, false)
      assert.equal(r.noFinishNeeded, true)
      assert.equal(r.results.capTable.length, 0)
      const content = capnp.utils.getPointer(0, r.results)
      assert.equal(capnp.utils.isNull(content), false, 'the content is an empty struct, not null')
      const size = capnp.utils.getTargetStructSize(content)
      assert.deepEqual([size.dataByteLength, size.pointerLength], [0, 0])
    }
    // `write`'s empty results read as `count`'s: every field at its default.
    const mismatched = root.call({ ...write, Results: count.Results }, (p) => { p.seq = 99 })
    const r = await mismatched
    assert.deepEqual([r.writes, r.bytes], [0, 0n])
    mismatched.release()
    assert.deepEqual(bytesOf(EMPTY_RESULTS), shared, 'the shared message is unchanged')
    root.release()
    client.close()
    server.close()
  })

  it('the shared message takes no capability', () => {
    assert.throws(() => addCap(EMPTY_RESULTS, null), TypeError)
    assert.deepEqual(bytesOf(EMPTY_RESULTS), shared)
  })

  it('an answer awaited once it is in resolves through one promise shared by every such call (none made per call); one awaited before resolves too', async () => {
    const [a, b] = memoryPair()
    const boot = SinkClient.serve(sink())
    const server = new Connection(b, { bootstrap: boot })
    boot.release()
    const client = new Connection(a)
    const root = client.bootstrap(SinkClient)
    const { write, count } = SinkClient.methods
    const early = root.call(write, (p) => { p.seq = 0 })
    const earlyResults = early.results // asked before the Return came: a promise of its own
    const answers = Array.from({ length: 3 }, (_, i) => root.call(write, (p) => { p.seq = i + 1 }))
    const after = root.call(count)
    assert.equal((await after).writes, 4) // calls on one capability return in order: the writes are in
    after.release()
    const promises = answers.map((x) => x.results)
    assert.ok(promises.every((p) => p === promises[0]), 'one promise for all of them')
    assert.notEqual(earlyResults, promises[0])
    const [r1, r0] = [await promises[0], await earlyResults]
    assert.equal(r1, r0, 'the same empty struct either way')
    for (const x of [early, ...answers]) x.release()
    root.release()
    client.close()
    server.close()
  })
})
