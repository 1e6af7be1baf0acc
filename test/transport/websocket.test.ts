// The WebSocket transport (the web console's): RPC between a `ws` server and a `ws` client on 127.0.0.1, the
// same WHATWG interface the browser's WebSocket has (test/ui drives it from chromium).
import assert from 'node:assert/strict'
import { WebSocket, WebSocketServer } from 'ws'
import { Connection } from '../../src/rpc/index.js'
import { websocketTransport } from '../../src/transport/index.js'
import { Disconnected, InvalidArgument } from '../../src/errors.js'
import { AdderClient, type AdderServer, SinkClient } from '../rpc/gen/rpctest.rpc.js'
import { eventually } from '../waiting.js'

const adder: AdderServer = {
  add (p, r) { r.sum = p.a + p.b; r.via = 'server' },
  next () {},
  addVia () {}
}

describe('rpc over a WebSocket', function () {
  this.timeout(60_000)
  let wss: WebSocketServer
  let url: string
  const served: Connection[] = []

  before(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 0 })
    await new Promise<void>(resolve => wss.once('listening', resolve))
    url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`
    let received = 0
    let writes = 0
    wss.on('connection', (ws, req) => {
      const sink = SinkClient.serve({
        write (p) { received += p.chunk.length; writes++ },
        count (_p, r) { r.writes = writes; r.bytes = BigInt(received) }
      })
      const cap = AdderClient.serve(adder)
      const bootstrap = req.url === '/sink' ? sink : cap
      served.push(new Connection(websocketTransport(ws), { bootstrap, name: 'server' }))
      cap.release()
      sink.release()
    })
  })

  after(() => {
    for (const c of served) c.close()
    wss?.close()
  })

  /** A connection to the server's Adder, or its Sink at /sink. */
  async function connect (path = '/'): Promise<Connection> {
    const ws = new WebSocket(url + path)
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
    return new Connection(websocketTransport(ws), { name: 'client' })
  }

  it('calls, 200 at once answered in order; a close reaches the other end as Disconnected', async () => {
    const conn = await connect()
    const remote = conn.bootstrap(AdderClient)
    using r = remote.add(p => { p.a = 20n; p.b = 22n })
    assert.deepEqual([(await r).sum, (await r).via], [42n, 'server'])
    const answers = Array.from({ length: 200 }, (_, i) => remote.add(p => { p.a = BigInt(i); p.b = 1n }))
    const sums = await Promise.all(answers)
    assert.deepEqual(sums.map(s => s.sum), answers.map((_, i) => BigInt(i + 1)))
    remote.release()
    const server = served[served.length - 1]
    conn.close()
    await conn.closed
    await eventually('the server connection to end', () => server.error !== undefined)
    assert.ok(server.error instanceof Disconnected, String(server.error))
  })

  it('moves a 3 MiB message and 40 of 256 KiB', async () => {
    const conn = await connect('/sink')
    const sink = conn.bootstrap(SinkClient)
    const chunk = new Uint8Array(256 << 10).fill(7)
    for (let i = 0; i < 40; i++) await sink.write(p => { p.seq = i; p._initChunk(chunk.length).copyBuffer(chunk) }, 1 << 20)
    const big = new Uint8Array(3 << 20).fill(9)
    await sink.write(p => { p.seq = 40; p._initChunk(big.length).copyBuffer(big) }, 1 << 20)
    using c = sink.count()
    const r = await c
    assert.equal(r.writes, 41)
    assert.equal(r.bytes, BigInt(40 * chunk.length + big.length))
    sink.release()
    conn.close()
    await conn.closed
  })

  it('a text message ends the connection with InvalidArgument and close code 1003', async () => {
    const ws = new WebSocket(url)
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
    const closed = new Promise<number>(resolve => ws.once('close', code => { resolve(code) }))
    ws.send('{"not": "capnp"}')
    assert.equal(await closed, 1003)
    const server = served[served.length - 1]
    await eventually('the server connection to end', () => server.error !== undefined)
    assert.ok(server.error instanceof InvalidArgument, String(server.error))
  })
})
