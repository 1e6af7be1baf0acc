// What libp2p writes to a TCP connection in one event-loop turn leaves in one write: each write
// the sockets make (a call of Writable's _write or _writev, one system call) is whole noise
// messages (a 2-byte big-endian length, then that many bytes), and a round trip of a small message
// costs one write each way: the reply, the window update and the noise length ride together.
// Real nodes on 127.0.0.1.
import assert from 'node:assert/strict'
import net from 'node:net'
import type { Stream } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { newSwarmKeyText, parseSwarmKey } from '../../src/cluster/index.js'
import { loopbackNode } from '../loopback-libp2p.js'

const PROTOCOL = '/ww-test/echo/1'

/** Sizes of the noise messages in one write; undefined if it does not end on a message boundary. */
function noiseMessages (bytes: Uint8Array): number[] | undefined {
  const sizes: number[] = []
  for (let o = 0; o < bytes.byteLength;) {
    if (o + 2 > bytes.byteLength) return undefined
    const size = (bytes[o] << 8) | bytes[o + 1]
    o += 2 + size
    if (o > bytes.byteLength) return undefined
    sizes.push(size)
  }
  return sizes
}

type Chunk = Uint8Array | { chunk: Uint8Array }
const bytesOf = (c: Chunk): Uint8Array => c instanceof Uint8Array ? c : c.chunk

/** Sends `data` and resolves once as many bytes have come back. */
async function echo (stream: Stream, data: Uint8Array): Promise<Buffer> {
  const back: Uint8Array[] = []
  let got = 0
  const done = new Promise<void>((resolve) => {
    const onMessage = (evt: { data: Uint8Array | { subarray: () => Uint8Array } }): void => {
      const d = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray()
      back.push(d.slice())
      got += d.byteLength
      if (got >= data.byteLength) { stream.removeEventListener('message', onMessage as any); resolve() }
    }
    stream.addEventListener('message', onMessage as any)
  })
  if (!stream.send(data)) await stream.onDrain()
  await done
  return Buffer.concat(back)
}

describe('cluster: libp2p writes of one event-loop turn leave together', function () {
  this.timeout(30_000)
  let a: Libp2p, b: Libp2p
  // Two nodes of a private cluster: the swarm key protector seals TCP's connection under noise.
  let pa: Libp2p, pb: Libp2p
  const { _write, _writev } = net.Socket.prototype as any
  let writes: Uint8Array[] | undefined

  before(async () => {
    const key = parseSwarmKey(new TextEncoder().encode(newSwarmKeyText()), 'test.key')
    ;[a, b, pa, pb] = await Promise.all([loopbackNode(), loopbackNode(), loopbackNode(key), loopbackNode(key)])
    for (const server of [b, pb]) {
      await server.handle(PROTOCOL, (stream) => {
        stream.addEventListener('message', (evt) => { stream.send(evt.data) })
      })
    }
    const proto = net.Socket.prototype as any
    proto._write = function (chunk: Uint8Array, ...rest: unknown[]) {
      writes?.push(Uint8Array.from(chunk))
      return _write.call(this, chunk, ...rest)
    }
    proto._writev = function (chunks: Chunk[], ...rest: unknown[]) {
      writes?.push(Buffer.concat(chunks.map(bytesOf)))
      return _writev.call(this, chunks, ...rest)
    }
  })

  after(async () => {
    Object.assign(net.Socket.prototype, { _write, _writev })
    await Promise.all([a?.stop(), b?.stop(), pa?.stop(), pb?.stop()])
  })

  /** The socket writes of 20 echoed messages of 100-2,000 bytes from `from` to `to`, each checked to come back whole. */
  async function twentyRoundTrips (from: Libp2p, to: Libp2p): Promise<Uint8Array[]> {
    const stream = await from.dialProtocol(to.getMultiaddrs()[0], PROTOCOL)
    await echo(stream, new Uint8Array(10)) // the stream's opening frames
    writes = []
    for (let i = 1; i <= 20; i++) {
      const sent = new Uint8Array(i * 100).fill(i)
      assert.ok(Buffer.from(sent).equals(await echo(stream, sent)), `message ${i} came back changed`)
    }
    const seen = writes
    writes = undefined
    await stream.close()
    return seen
  }

  it('20 echoed messages of 100-2,000 bytes: one write each way, each whole noise messages', async () => {
    const seen = await twentyRoundTrips(a, b)
    for (const w of seen) assert.ok(noiseMessages(w) !== undefined, `a write of ${w.byteLength} bytes is not whole noise messages`)
    // The last window update has no reply to ride with.
    assert.ok(seen.length <= 2 * 20 + 1, `${seen.length} writes for 20 round trips`)
  })

  it('in a private cluster too: 20 echoed messages of 100-2,000 bytes, one write each way', async () => {
    const seen = await twentyRoundTrips(pa, pb)
    // The writes are XSalsa20 ciphertext: only their number can be checked.
    assert.ok(seen.length <= 2 * 20 + 1, `${seen.length} writes for 20 round trips`)
  })

  it('reading the noise length prefixes throws no RangeError at the end of each chunk', async () => {
    const stream = await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL)
    await echo(stream, new Uint8Array(10))
    const Real = globalThis.RangeError
    let made = 0
    const Counting = function (this: unknown, ...args: unknown[]) {
      made++
      return Reflect.construct(Real, args, new.target ?? Real)
    } as unknown as RangeErrorConstructor
    Object.defineProperty(Counting, 'prototype', { value: Real.prototype })
    globalThis.RangeError = Counting
    try {
      for (let i = 1; i <= 20; i++) {
        const sent = new Uint8Array(i * 100).fill(i)
        assert.ok(Buffer.from(sent).equals(await echo(stream, sent)), `message ${i} came back changed`)
      }
    } finally {
      globalThis.RangeError = Real
    }
    await stream.close()
    assert.equal(made, 0, `${made} RangeErrors made for 20 echoes`)
  })

  it('8 MiB echoed whole through the socket backpressure', async () => {
    const stream = await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL)
    const sent = new Uint8Array(8 << 20)
    for (let i = 0; i < sent.length; i += 4096) sent[i] = i >> 12
    const back = await echo(stream, sent)
    assert.equal(back.byteLength, sent.byteLength)
    assert.ok(back.equals(sent), 'the echoed bytes differ')
    await stream.close()
  })
})
