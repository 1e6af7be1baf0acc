// A call's buffer is reused once the call is written to a peer, or once the local server that
// read it has finished (src/rpc/wire/call-buffers.ts).
import assert from 'node:assert/strict'
import { Connection } from '../../src/rpc/index.js'
import { takeCallBuffer } from '../../src/rpc/wire/call-buffers.js'
import { Chan } from '../../src/csp/chan.js'
import { serveChanOf } from '../../src/caps/chan.js'
import { releaseMessage, writeMessage, type ChanMessage } from '../../src/caps/chan-message.js'
import type { SenderClient } from '../../src/schema/channel.rpc.js'
import { memoryPair } from '../../src/transport/index.js'
import { AdderClient, Adder_AddVia$Params$Caps, type AdderServer } from './gen/rpctest.rpc.js'

const AdderVia = Adder_AddVia$Params$Caps.adder

const adder: AdderServer = {
  add (p, r) { r.sum = p.a + p.b; r.via = 'peer' },
  next () { throw new Error('no next') },
  addVia () { throw new Error('no addVia') }
}

/** A channel served locally and a Sender capability to it (called through the RPC layer, no connection). */
function localChannel (): { chan: Chan<ChanMessage>, sender: SenderClient } {
  const chan = new Chan<ChanMessage>(4, { release: releaseMessage })
  const chanCap = serveChanOf(chan)
  const made = chanCap.sender()
  const sender = made.pipeline.sender.dup()
  made.release()
  chanCap.release()
  return { chan, sender }
}

describe('rpc: call buffers', () => {
  it('a call written to a peer gives its buffer back, zeroed, for the next call', async () => {
    const [a, b] = memoryPair()
    const boot = AdderClient.serve(adder)
    const server = new Connection(b, { bootstrap: boot })
    boot.release()
    const client = new Connection(a)
    const root = client.bootstrap(AdderClient)
    await root.add((p) => { p.a = 1n; p.b = 1n }) // the bootstrap settled
    let used: ArrayBuffer | undefined
    const sum = root.add((p) => { p.a = 40n; p.b = 2n; used = p.segment.buffer })
    assert.equal((await sum).sum, 42n)
    sum.release()
    const next = takeCallBuffer().buffer
    assert.equal(next, used, 'the written call\'s buffer is the next one handed out')
    assert.ok(new Uint8Array(next).every((x) => x === 0), 'and it is zeroed')
    root.release()
    client.close()
    server.close()
  })

  it('a call read by a local server gives its buffer back once handled; the channel keeps its own copy of the data', async () => {
    const { chan, sender } = localChannel()
    let used: ArrayBuffer | undefined
    const data = Uint8Array.from({ length: 48 }, (_, i) => i + 1)
    const sent = sender.send((p) => { writeMessage(p._initMsg(), { data }); used = p.segment.buffer })
    await sent
    sent.release()
    const next = takeCallBuffer().buffer
    assert.equal(next, used, 'the handled call\'s buffer is the next one handed out')
    assert.ok(new Uint8Array(next).every((x) => x === 0), 'and it is zeroed')
    const got = await chan.recv()
    assert.notEqual(got.data.buffer, used)
    assert.deepEqual(got.data, data)
    sender.release()
  })

  it('a call whose params outgrow its buffer moves to a larger one, and gives the first back zeroed', async () => {
    const { chan, sender } = localChannel()
    let first: ArrayBuffer | undefined
    let grown: ArrayBuffer | undefined
    const data = Uint8Array.from({ length: 2000 }, (_, i) => i % 251)
    const sent = sender.send((p) => { first = p.segment.buffer; writeMessage(p._initMsg(), { data }); grown = p.segment.buffer })
    await sent
    sent.release()
    assert.notEqual(grown, first, 'the params did not fit the call buffer')
    const next = takeCallBuffer()
    assert.equal(next.buffer, first)
    assert.ok(new Uint8Array(next.buffer).every((x) => x === 0), 'and it is zeroed')
    assert.deepEqual((await chan.recv()).data, data)
    sender.release()
  })

  it('a received call\'s message object serves the next call over the same buffer, with none of the last call\'s capabilities', async () => {
    const [a, b] = memoryPair()
    const seen: Array<{ msg: object, caps: number, sum: bigint }> = []
    const capsOf = (p: { segment: { message: { _capnp: unknown } } }): number => (p.segment.message._capnp as { capTable?: unknown[] }).capTable?.length ?? 0
    const impl: AdderServer = {
      add (p, r) { seen.push({ msg: p.segment.message, caps: capsOf(p), sum: p.a + p.b }); r.sum = p.a + p.b },
      next () { throw new Error('no next') },
      addVia (p, r) { seen.push({ msg: p.segment.message, caps: capsOf(p), sum: p.a + p.b }); r.sum = p.a + p.b }
    }
    const boot = AdderClient.serve(impl)
    const server = new Connection(b, { bootstrap: boot })
    boot.release()
    const client = new Connection(a)
    const root = client.bootstrap(AdderClient)
    await root.add((p) => { p.a = 0n; p.b = 0n }) // the bootstrap settled
    seen.length = 0
    const local = AdderClient.serve(adder)
    const via = root.addVia((p) => { p.a = 1n; p.b = 2n; AdderVia.set(p, local) })
    assert.equal((await via).sum, 3n)
    via.release()
    local.release()
    const sum = root.add((p) => { p.a = 40n; p.b = 2n })
    assert.equal((await sum).sum, 42n)
    sum.release()
    assert.equal(seen.length, 2)
    assert.equal(seen[0].caps, 1, 'the first call carried a capability')
    assert.equal(seen[1].msg, seen[0].msg, 'the second call was received into the same message object')
    assert.equal(seen[1].caps, 0, 'and it has none of the first call\'s capabilities')
    assert.equal(seen[1].sum, 42n)
    root.release()
    client.close()
    server.close()
  })
})
