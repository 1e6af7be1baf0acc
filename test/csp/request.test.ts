// RequestSender.request: request/reply in one call on a channel's Sender facet, over a real (in-memory) connection.
import assert from 'node:assert/strict'
import { serveChan } from '../../src/caps/chan.js'
import { readMessage, writeMessage, type ChanMessage } from '../../src/caps/chan-message.js'
import { Canceled, Closed, Unimplemented } from '../../src/errors.js'
import { Connection, type Capability } from '../../src/rpc/index.js'
import { Chan_Sender$Results$Caps, ChanClient, RequestSenderClient, SenderClient } from '../../src/schema/channel.rpc.js'
import { memoryPair } from '../../src/transport/index.js'
import { turns } from '../waiting.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

/** `bootstrap` served on one side of an in-memory connection; `T` of it on the other. */
function across<T extends Capability> (bootstrap: Capability, Client: new (...a: any[]) => T): { cap: T, stop: () => void } {
  const [a, b] = memoryPair()
  const server = new Connection(b, { bootstrap, name: 'server' })
  bootstrap.release()
  const client = new Connection(a, { name: 'client' })
  const cap = client.bootstrap(Client as any) as T
  return { cap, stop: () => { cap.release(); client.close(); server.close() } }
}

async function request (to: RequestSenderClient, text: string, signal?: AbortSignal): Promise<string> {
  using ans = to.request(p => { writeMessage(p._initMsg(), { data: enc(text) }) }, { signal })
  const m = readMessage((await ans).reply)
  m.cap?.release()
  return dec(m.data)
}

async function recv (chan: ChanClient): Promise<ChanMessage> {
  using ans = chan.recv()
  return readMessage((await ans).msg)
}

async function reply (to: Capability, text: string): Promise<void> {
  const s = to.as(SenderClient)
  try {
    using ans = s.send(p => { writeMessage(p._initMsg(), { data: enc(text) }) })
    await ans
  } finally { s.release() }
}

describe('csp: request/reply in one call (RequestSender.request)', function () {
  this.timeout(30_000)

  /** A channel served here, its Sender facet used over the connection, its Chan kept here to answer. */
  async function served (): Promise<{ chan: ChanClient, sender: RequestSenderClient, stop: () => void }> {
    const chan = serveChan(4)
    using ans = chan.sender()
    const { cap, stop } = across(Chan_Sender$Results$Caps.sender.get(await ans).dup(), RequestSenderClient)
    return { chan, sender: cap, stop: () => { stop(); chan.release() } }
  }

  it('delivers the message with a reply Sender and returns the first message sent on it', async () => {
    const { chan, sender, stop } = await served()
    try {
      const answered = request(sender, 'question')
      const m = await recv(chan)
      assert.equal(dec(m.data), 'question')
      assert.ok(m.cap !== null, 'a reply Sender rides along')
      await reply(m.cap, 'answer')
      assert.equal(await answered, 'answer')
      // the reply channel ended with the call: a second answer has nowhere to go
      await assert.rejects(reply(m.cap, 'late'), Closed)
      m.cap.release()
      assert.equal(await Promise.all([request(sender, 'a'), (async () => { const q = await recv(chan); await reply(q.cap!, `re ${dec(q.data)}`); q.cap!.release() })()]).then(r => r[0]), 're a')
    } finally { stop() }
  })

  it('a canceled request drops its reply: the request fails Canceled, an answer after it fails Closed', async () => {
    const { chan, sender, stop } = await served()
    try {
      const ctl = new AbortController()
      const answered = request(sender, 'anyone?', ctl.signal)
      const m = await recv(chan)
      ctl.abort()
      await assert.rejects(answered, Canceled)
      await turns()
      await assert.rejects(reply(m.cap!, 'too late'), Closed)
      m.cap!.release()
    } finally { stop() }
  })

  it('a Sender that only sends fails Unimplemented, and nothing was sent', async () => {
    let sends = 0
    const { cap, stop } = across(SenderClient.serve({ send () { sends++ } }), RequestSenderClient)
    try {
      await assert.rejects(request(cap, 'x'), Unimplemented)
      assert.equal(sends, 0)
    } finally { stop() }
  })
})
