import assert from 'node:assert/strict'
import { Connection } from '../../src/rpc/index.js'
import { memoryPair } from '../../src/transport/index.js'
import { ChanClient, RecverClient, SenderClient } from '../../src/schema/channel.rpc.js'
import { serveChan } from '../../src/caps/chan.js'
import { readMessage, writeMessage, type ChanMessage } from '../../src/caps/chan-message.js'
import { Canceled, Closed, LimitExceeded, Unimplemented } from '../../src/errors.js'
import type { Capability } from '../../src/rpc/index.js'
import { turns } from '../waiting.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

function send (to: SenderClient | ChanClient, text: string, cap: Capability | null = null, signal?: AbortSignal): Promise<unknown> {
  return to.send((p) => { writeMessage(p._initMsg(), { data: enc(text), cap }) }, { signal }).results
}

async function recv (from: RecverClient | ChanClient, signal?: AbortSignal): Promise<ChanMessage> {
  const ans = from.recv(undefined, { signal })
  const results = ans.results // taken now: a later abort rejects it with Canceled
  try {
    return readMessage((await results).msg)
  } finally {
    ans.release()
  }
}

async function recvText (from: RecverClient | ChanClient, signal?: AbortSignal): Promise<string> {
  const m = await recv(from, signal)
  m.cap?.release()
  return dec(m.data)
}

/** A channel served on one side of an in-memory connection, used from the other. */
function remoteChan (capacity: number): { chan: ChanClient, stop: () => void } {
  const local = serveChan(capacity)
  const [a, b] = memoryPair()
  const server = new Connection(b, { bootstrap: local, name: 'chan-server' })
  local.release()
  const client = new Connection(a, { name: 'chan-client' })
  const chan = client.bootstrap(ChanClient)
  return { chan, stop: () => { chan.release(); client.close(); server.close() } }
}

async function stat (chan: ChanClient): Promise<{ buffered: number, waitingSenders: number, waitingRecvers: number, closed: boolean }> {
  const s = (await chan.stat()).stat
  return { buffered: s.buffered, waitingSenders: s.waitingSenders, waitingRecvers: s.waitingRecvers, closed: s.closed }
}

/** Lets in-memory messages arrive (event-loop turns, not milliseconds: a busy machine changes nothing). */
const settleNetwork = turns

describe('csp: channel capabilities over RPC', function () {
  this.timeout(30000)

  it('moves 1000 messages in order, sends pipelined without waiting for each other', async () => {
    const { chan, stop } = remoteChan(16)
    const n = 1000
    const sends = Array.from({ length: n }, async (_, i) => await send(chan, `m${i}`))
    const got: string[] = []
    for (let i = 0; i < n; i++) got.push(await recvText(chan))
    await Promise.all(sends)
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => `m${i}`))
    assert.deepEqual(await stat(chan), { buffered: 0, waitingSenders: 0, waitingRecvers: 0, closed: false })
    stop()
  })

  it('a full buffer is backpressure: the 5th send on capacity 4 completes only after a recv', async () => {
    const { chan, stop } = remoteChan(4)
    for (let i = 0; i < 4; i++) await send(chan, `m${i}`)
    let fifthDone = false
    const fifth = send(chan, 'm4').then(() => { fifthDone = true })
    await settleNetwork()
    assert.equal(fifthDone, false)
    assert.equal((await stat(chan)).waitingSenders, 1)
    assert.equal(await recvText(chan), 'm0')
    await fifth
    assert.equal((await stat(chan)).buffered, 4)
    stop()
  })

  it('a canceled send is withdrawn: the message never arrives', async () => {
    const { chan, stop } = remoteChan(1)
    await send(chan, 'kept')
    const ac = new AbortController()
    const p = send(chan, 'withdrawn', null, ac.signal)
    await settleNetwork()
    ac.abort()
    await assert.rejects(p, Canceled)
    assert.equal((await stat(chan)).waitingSenders, 0)
    const after = send(chan, 'after')
    assert.equal(await recvText(chan), 'kept')
    assert.equal(await recvText(chan), 'after') // 'withdrawn' is not ahead of it
    await after
    stop()
  })

  it('a canceled recv takes nothing: the next receiver gets the message', async () => {
    const { chan, stop } = remoteChan(0)
    const ac = new AbortController()
    const r = recvText(chan, ac.signal)
    await settleNetwork()
    assert.equal((await stat(chan)).waitingRecvers, 1)
    ac.abort()
    await assert.rejects(r, Canceled)
    assert.equal((await stat(chan)).waitingRecvers, 0)
    const s = send(chan, 'x')
    assert.equal(await recvText(chan), 'x')
    await s
    stop()
  })

  it('a recv canceled after the hand-off puts the message back at the front', async () => {
    const chan = serveChan(0) // local: the call runs synchronously up to the hand-off
    const ac = new AbortController()
    const r = recvText(chan, ac.signal)
    const s = send(chan, 'first') // hands 'first' to the waiting recv
    const s2 = send(chan, 'second')
    ac.abort() // the recv handler has the message but has not returned yet
    await assert.rejects(r, Canceled)
    await Promise.resolve()
    assert.equal(await recvText(chan), 'first')
    assert.equal(await recvText(chan), 'second')
    await Promise.all([s, s2])
    chan.release()
  })

  it('close through a Closer facet: sends fail with Closed, receivers drain then get Closed', async () => {
    const { chan, stop } = remoteChan(2)
    await send(chan, 'a')
    const ans = chan.closer()
    await ans.pipeline.closer.close()
    ans.release()
    await assert.rejects(send(chan, 'b'), Closed)
    assert.equal(await recvText(chan), 'a')
    await assert.rejects(recvText(chan), Closed)
    assert.equal((await stat(chan)).closed, true)
    stop()
  })

  it('facets attenuate: a Sender cannot receive, a Recver cannot send', async () => {
    const { chan, stop } = remoteChan(1)
    const sa = chan.sender()
    const ra = chan.recver()
    const sender = sa.pipeline.sender
    const recver = ra.pipeline.recver
    await send(sender, 'via sender')
    await assert.rejects(recvText(RecverClient.from(sender.dup())), Unimplemented)
    await assert.rejects(send(SenderClient.from(recver.dup()), 'no'), Unimplemented)
    assert.equal(await recvText(recver), 'via sender')
    sa.release()
    ra.release()
    stop()
  })

  it('a message larger than maxMessageBytes is refused with LimitExceeded', async () => {
    const chan = serveChan(4, { limits: { maxMessageBytes: 8 } })
    await send(chan, '12345678')
    await assert.rejects(send(chan, '123456789'), (err: unknown) => err instanceof LimitExceeded && err.message.includes('maxMessageBytes 8'))
    assert.equal(await recvText(chan), '12345678')
    assert.equal((await chan.stat()).stat.buffered, 0)
    chan.release()
  })

  it('a capability rides along: the receiver answers on it', async () => {
    const { chan, stop } = remoteChan(4)
    const replies = serveChan(1)
    const sa = replies.sender()
    await sa
    using replySender = sa.pipeline.sender.dup()
    sa.release()
    await send(chan, 'ping', replySender)
    const m = await recv(chan)
    assert.equal(dec(m.data), 'ping')
    assert.ok(m.cap !== null)
    await send(SenderClient.from(m.cap), 'pong')
    assert.equal(await recvText(replies), 'pong')
    replies.release()
    stop()
  })

  it('dropping the channel (last facet released) releases capabilities in buffered messages', async () => {
    let disposed = 0
    const rider = SenderClient.serve({ send () {}, [Symbol.dispose] () { disposed++ } })
    const chan = serveChan(4)
    const sa = chan.sender()
    await sa
    const sender = sa.pipeline.sender.dup()
    sa.release()
    await send(chan, 'carrying', rider)
    rider.release()
    assert.equal(disposed, 0, 'the buffered message holds the rider')
    chan.release()
    await send(sender, 'still open') // the Sender facet keeps the channel alive
    assert.equal(disposed, 0)
    sender.release()
    assert.equal(disposed, 1)
  })

  it('a remote sender whose connection drops has its waiting send withdrawn', async () => {
    const local = serveChan(0)
    const [a, b] = memoryPair()
    const server = new Connection(b, { bootstrap: local })
    const client = new Connection(a)
    const chan = client.bootstrap(ChanClient)
    const p = send(chan, 'lost-with-the-link')
    await settleNetwork()
    assert.equal((await stat(chan)).waitingSenders, 1)
    client.close()
    await assert.rejects(p)
    await server.closed
    await settleNetwork()
    assert.equal((await local.stat()).stat.waitingSenders, 0)
    chan.release()
    local.release()
  })
})
