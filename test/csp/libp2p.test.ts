// Channels across two real libp2p nodes on 127.0.0.1: A serves its anchor tree on a protocol,
// stores a channel at /mailbox; B walks there, loads it and sends.
import assert from 'node:assert/strict'
import type { Libp2p } from 'libp2p'
import { loopbackNode } from '../loopback-libp2p.js'
import { Connection, type Capability } from '../../src/rpc/index.js'
import { libp2pTransport } from '../../src/transport/index.js'
import { AnchorClient } from '../../src/schema/anchor.rpc.js'
import type { ChanClient, SenderClient } from '../../src/schema/channel.rpc.js'
import { AnchorTree } from '../../src/anchor/tree.js'
import { serveTree } from '../../src/caps/anchor.js'
import { readMessage, writeMessage } from '../../src/caps/chan-message.js'
import { eventually } from '../waiting.js'

const PROTOCOL = '/ww/csp-test/1.0.0'

describe('csp: channels between two libp2p nodes', function () {
  this.timeout(120_000)
  let a: Libp2p
  let b: Libp2p
  let rootA: AnchorClient
  const conns: Connection[] = []

  before(async () => {
    a = await loopbackNode()
    b = await loopbackNode()
    rootA = serveTree(new AnchorTree<Capability>())
    await a.handle(PROTOCOL, (stream) => { conns.push(new Connection(libp2pTransport(stream), { bootstrap: rootA })) })
    await b.dial(a.getMultiaddrs()[0])
  })

  after(async () => {
    for (const c of conns) c.close()
    rootA.release()
    await a.stop()
    await b.stop()
  })

  /** A makes a channel at `path` in its own tree; B gets a Sender for it by walk + load. */
  async function mailbox (path: string, capacity: number): Promise<{ chan: ChanClient, sender: SenderClient, done: () => void }> {
    const w = rootA.walk((p) => { p.path = path })
    const made = w.pipeline.anchor.makeChan((p) => { p.capacity = capacity })
    await made
    const chan = made.pipeline.chan.dup()
    made.release()
    w.release()
    const client = new Connection(libp2pTransport(await b.dialProtocol(a.peerId, PROTOCOL)))
    conns.push(client)
    const wb = client.bootstrap(AnchorClient).walk((p) => { p.path = path })
    const load = wb.pipeline.anchor.load()
    await load
    const sender = load.pipeline.value.sender.dup()
    load.release()
    wb.release()
    return { chan, sender, done: () => { sender.release(); chan.release() } }
  }

  it('B sends 10,000 messages; A receives all, in order, none twice', async () => {
    const { chan, sender, done } = await mailbox('mailbox', 16)
    const n = 10_000
    const window = 64
    const received: number[] = []
    const receiving = (async () => {
      while (received.length < n) {
        const r = chan.recv()
        const data = readMessage((await r).msg).data
        received.push(new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0))
        r.release()
      }
    })()
    const inFlight = new Set<Promise<unknown>>()
    for (let i = 0; i < n; i++) {
      const data = new Uint8Array(4)
      new DataView(data.buffer).setUint32(0, i)
      const p: Promise<unknown> = sender.send((p) => { writeMessage(p._initMsg(), { data }) }).results.then(() => { inFlight.delete(p) })
      inFlight.add(p)
      if (inFlight.size >= window) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    await receiving
    assert.equal(received.length, n)
    for (let i = 0; i < n; i++) assert.equal(received[i], i, `message ${i} out of order or missing`)
    assert.equal((await chan.stat()).stat.buffered, 0)
    done()
  })

  it('backpressure: capacity 4 and no receiver, B\'s 5th send completes only after A receives once', async () => {
    const { chan, sender, done } = await mailbox('bp', 4)
    const text = (s: string) => (p: any) => { writeMessage(p._initMsg(), { data: new TextEncoder().encode(s) }) }
    for (let i = 0; i < 4; i++) await sender.send(text(`m${i}`))
    let fifthDone = false
    const fifth = sender.send(text('m4')).results.then(() => { fifthDone = true })
    await eventually('the fifth send to wait at A', async () => (await chan.stat()).stat.waitingSenders === 1)
    assert.equal(fifthDone, false)
    const s = (await chan.stat()).stat
    assert.equal(s.buffered, 4)
    assert.equal(s.waitingSenders, 1)
    const r = chan.recv()
    assert.equal(new TextDecoder().decode(readMessage((await r).msg).data), 'm0')
    r.release()
    await fifth
    assert.equal((await chan.stat()).stat.buffered, 4)
    done()
  })
})
