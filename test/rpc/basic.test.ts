import assert from 'node:assert/strict'
import os from 'node:os'
import path from 'node:path'
import { Connection } from '../../src/rpc/index.js'
import { memoryPair, listenUnix, connectUnix, type MessageTransport } from '../../src/transport/index.js'
import { ChanClient, type ChanServer, SenderClient, type SenderServer, Message$Caps } from '../../src/schema/channel.rpc.js'
import { Disconnected, NotFound } from '../../src/errors.js'

/** A tiny channel server: keeps messages (and any capability riding along, dup'd). */
function makeChan (log: string[]): ChanServer & { disposed: number } {
  const buffered: Array<{ data: Uint8Array }> = []
  const kept: SenderClient[] = []
  const sender: SenderServer = {
    send (params) {
      const data = params.msg.data.toUint8Array().slice()
      if (new TextDecoder().decode(data) === 'missing') throw new NotFound('no such thing')
      buffered.push({ data })
      log.push(new TextDecoder().decode(data))
      if (Message$Caps.cap.has(params.msg)) kept.push(SenderClient.from(Message$Caps.cap.get(params.msg).dup()))
    }
  }
  const server = {
    disposed: 0,
    ...sender,
    recv () {},
    close () {},
    sender (_p: unknown, results: any) {
      const s = SenderClient.serve(sender)
      SenderCaps.sender.set(results, s)
      s.release()
    },
    recver () {},
    closer () {},
    async stat (_p: unknown, results: any) {
      results._initStat().buffered = buffered.length
      // call every kept callback: proves they outlive the call that brought them
      for (const k of kept) await k.send((p) => { const d = p._initMsg()._initData(8); d.set(0, 0x70) })
    },
    [Symbol.dispose] () { server.disposed++ }
  }
  return server as unknown as ChanServer & { disposed: number }
}
import { Chan_Sender$Results$Caps as SenderCaps } from '../../src/schema/channel.rpc.js'
import { turns } from '../waiting.js'

function text (s: string) { return (p: any) => { const b = new TextEncoder().encode(s); const d = p._initMsg()._initData(b.length); d.copyBuffer(b) } }

async function pair (bootstrap: ChanClient): Promise<{ client: Connection, server: Connection, close: () => void }> {
  const [a, b] = memoryPair()
  const server = new Connection(b, { bootstrap, name: 'server' })
  const client = new Connection(a, { name: 'client' })
  return { client, server, close: () => { client.close(); server.close() } }
}

describe('rpc: basic calls', () => {
  it('calls a local capability without any connection', async () => {
    const log: string[] = []
    const chan = ChanClient.serve(makeChan(log))
    await chan.send(text('hello'))
    const r = await chan.stat()
    assert.equal(r.stat.buffered, 1)
    assert.deepEqual(log, ['hello'])
    chan.release()
  })

  it('bootstraps, calls, and gets typed exceptions over an in-memory pair', async () => {
    const log: string[] = []
    const impl = makeChan(log)
    const local = ChanClient.serve(impl)
    const { client, server, close } = await pair(local)
    local.release()
    const chan = client.bootstrap(ChanClient)
    await chan.send(text('one'))
    await chan.send(text('two'))
    assert.equal((await chan.stat()).stat.buffered, 2)
    await assert.rejects(chan.send(text('missing')).results, (err: Error) => err instanceof NotFound && /no such thing/.test(err.message))
    chan.release()
    await turns()
    assert.equal(server.stats.exports, 0, 'the export went away with the last import')
    assert.equal(impl.disposed, 0, 'the server connection still holds its bootstrap reference')
    close()
    await server.closed
    assert.equal(impl.disposed, 1, 'disposed once the last reference went away')
  })

  it('pipelines a call on a capability returned by a pending call', async () => {
    const log: string[] = []
    const local = ChanClient.serve(makeChan(log))
    const { client, close } = await pair(local)
    local.release()
    const chan = client.bootstrap(ChanClient)
    const ans = chan.sender()
    const sender = ans.pipeline.sender
    const sent = sender.send(text('piped'))
    await sent
    assert.deepEqual(log, ['piped'])
    ans.release()
    chan.release()
    close()
  })

  it('passes a capability that the server keeps and calls back later', async () => {
    const log: string[] = []
    const local = ChanClient.serve(makeChan(log))
    const { client, close } = await pair(local)
    local.release()
    const chan = client.bootstrap(ChanClient)
    const got: string[] = []
    let disposed = 0
    const callback = SenderClient.serve({ send (p) { got.push(String(p.msg.data.toUint8Array()[0])) }, [Symbol.dispose] () { disposed++ } })
    await chan.send((p) => { text('with-cap')(p); Message$Caps.cap.set(p.msg, callback) })
    callback.release()
    assert.equal(disposed, 0, 'the server still holds the callback')
    await chan.stat()
    assert.deepEqual(got, ['112'])
    chan.release()
    close()
    await client.closed
    await turns()
    assert.equal(disposed, 1, 'released when the connection went away')
  })

  it('rejects pending calls with Disconnected when the peer goes away', async () => {
    const chan0 = ChanClient.serve({ ...makeChan([]), stat: () => new Promise<void>(() => {}) } as any)
    const { client, server } = await pair(chan0)
    chan0.release()
    const chan = client.bootstrap(ChanClient)
    await chan.send(text('x'))
    const pending = chan.stat()
    server.close()
    await assert.rejects(pending.results, Disconnected)
    await assert.rejects(chan.send(text('y')).results, Disconnected)
    chan.release()
  })

  it('works over a unix socket', async () => {
    const log: string[] = []
    const local = ChanClient.serve(makeChan(log))
    const sock = path.join(os.tmpdir(), `ww-rpc-${process.pid}-${Date.now()}.sock`)
    const conns: Connection[] = []
    const listener = await listenUnix(sock, (t: MessageTransport) => { conns.push(new Connection(t, { bootstrap: local })) })
    const client = new Connection(await connectUnix(sock))
    const chan = client.bootstrap(ChanClient)
    for (let i = 0; i < 100; i++) await chan.send(text(`m${i}`))
    assert.equal((await chan.stat()).stat.buffered, 100)
    chan.release()
    client.close()
    for (const c of conns) c.close()
    listener.close()
    local.release()
  })
})
