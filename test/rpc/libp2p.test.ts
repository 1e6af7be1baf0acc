// The libp2p transport: two real libp2p nodes in this process on 127.0.0.1, one stream between
// them, an RPC connection over it.
import assert from 'node:assert/strict'
import type { Libp2p } from 'libp2p'
import { loopbackNode } from '../loopback-libp2p.js'
import { Connection } from '../../src/rpc/index.js'
import { libp2pTransport } from '../../src/transport/index.js'
import { Disconnected } from '../../src/errors.js'
import { AdderClient, type AdderServer, Adder_Next$Results$Caps, SinkClient } from './gen/rpctest.rpc.js'
import { patienceMs } from '../waiting.js'

const PROTOCOL = '/ww/rpc-test/1.0.0'

function adder (name: string, hang?: Promise<void>): AdderServer {
  return {
    async add (p, r) {
      if (hang !== undefined) await hang
      r.sum = p.a + p.b
      r.via = name
    },
    next (_p, r) {
      const n = AdderClient.serve(adder(`${name}'`))
      Adder_Next$Results$Caps.adder.set(r, n)
      n.release()
    },
    addVia () {}
  }
}

describe('rpc over a libp2p stream', function () {
  this.timeout(60_000)
  let a: Libp2p
  let b: Libp2p
  const served: Connection[] = []

  before(async () => {
    a = await loopbackNode()
    b = await loopbackNode()
    await b.handle(PROTOCOL, (stream) => {
      const cap = AdderClient.serve(adder('b'))
      served.push(new Connection(libp2pTransport(stream), { bootstrap: cap, name: 'b' }))
      cap.release()
    })
    await a.dial(b.getMultiaddrs()[0])
  })

  after(async () => {
    for (const c of served) c.close()
    await a?.stop()
    await b?.stop()
  })

  it('calls and pipelines; closing one end closes the other', async () => {
    const stream = await a.dialProtocol(b.peerId, PROTOCOL)
    const conn = new Connection(libp2pTransport(stream), { name: 'a' })
    const remote = conn.bootstrap(AdderClient)
    using r = remote.add((p) => { p.a = 20n; p.b = 22n })
    assert.deepEqual([(await r).sum, (await r).via], [42n, 'b'])
    using n = remote.next()
    using piped = n.pipeline.adder.add((p) => { p.a = 1n; p.b = 2n })
    assert.equal((await piped).via, "b'")
    // 200 calls in flight at once, answers in order
    const answers = Array.from({ length: 200 }, (_, i) => remote.add((p) => { p.a = BigInt(i); p.b = 1n }))
    const sums = await Promise.all(answers)
    assert.deepEqual(sums.map((s) => s.sum), answers.map((_, i) => BigInt(i + 1)))
    const conn2 = served[served.length - 1]
    assert.ok(conn2 !== undefined)
    remote.release()
    conn.close()
    await conn.closed
    // the server side sees the stream end
    await Promise.race([conn2.closed, new Promise((resolve, reject) => setTimeout(() => { reject(new Error('server connection did not close')) }, patienceMs))])
    assert.ok(conn2.error instanceof Disconnected, `server side error: ${String(conn2.error)}`)
  })

  it('moves megabytes under flow control, including one 3 MiB message', async () => {
    let received = 0
    let writes = 0
    await b.handle('/ww/rpc-test-sink/1.0.0', (stream) => {
      const sink = SinkClient.serve({
        async write (p) { await new Promise((resolve) => setTimeout(resolve, 1)); received += p.chunk.length; writes++ },
        count (_p, r) { r.writes = writes; r.bytes = BigInt(received) }
      })
      served.push(new Connection(libp2pTransport(stream), { bootstrap: sink, name: 'b-sink' }))
      sink.release()
    })
    const stream = await a.dialProtocol(b.peerId, '/ww/rpc-test-sink/1.0.0')
    const conn = new Connection(libp2pTransport(stream), { name: 'a-sink' })
    const sink = conn.bootstrap(SinkClient)
    const chunk = new Uint8Array(256 << 10).fill(7)
    for (let i = 0; i < 40; i++) await sink.write((p) => { p.seq = i; p._initChunk(chunk.length).copyBuffer(chunk) }, 1 << 20)
    // one message far larger than a yamux frame or window
    const big = new Uint8Array(3 << 20).fill(9)
    await sink.write((p) => { p.seq = 40; p._initChunk(big.length).copyBuffer(big) }, 1 << 20)
    using c = sink.count()
    const r = await c
    assert.equal(r.writes, 41)
    assert.equal(r.bytes, BigInt(40 * chunk.length + big.length))
    sink.release()
    conn.close()
    await conn.closed
  })

  it('a pending call rejects with Disconnected when the peer aborts the stream', async () => {
    let release!: () => void
    const hang = new Promise<void>((resolve) => { release = resolve })
    await b.handle('/ww/rpc-test-hang/1.0.0', (stream) => {
      const cap = AdderClient.serve(adder('hang', hang))
      const conn = new Connection(libp2pTransport(stream), { bootstrap: cap, name: 'b-hang' })
      cap.release()
      served.push(conn)
      setTimeout(() => { stream.abort(new Error('test aborts the stream')) }, 100)
    })
    const stream = await a.dialProtocol(b.peerId, '/ww/rpc-test-hang/1.0.0')
    const conn = new Connection(libp2pTransport(stream), { name: 'a-hang' })
    const remote = conn.bootstrap(AdderClient)
    const pending = remote.add((p) => { p.a = 1n; p.b = 1n })
    await assert.rejects(pending.results, Disconnected)
    await conn.closed
    assert.ok(conn.error instanceof Disconnected)
    release()
    remote.release()
  })
})
