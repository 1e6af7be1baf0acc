// Each encrypted message goes to the TCP socket in one write: every chunk written after the
// handshake is whole noise messages (a 2-byte big-endian length, then that many bytes), never a
// length on its own. Real nodes on 127.0.0.1; the socket writes are recorded.
import assert from 'node:assert/strict'
import net from 'node:net'
import type { Libp2p } from 'libp2p'
import { loopbackNode } from '../loopback-libp2p.js'

const PROTOCOL = '/ww-test/echo/1'

/** Splits a written chunk into noise messages; undefined if it does not end on a message boundary. */
function noiseMessages (chunk: Uint8Array): number[] | undefined {
  const sizes: number[] = []
  for (let o = 0; o < chunk.byteLength;) {
    if (o + 2 > chunk.byteLength) return undefined
    const size = (chunk[o] << 8) | chunk[o + 1]
    o += 2 + size
    if (o > chunk.byteLength) return undefined
    sizes.push(size)
  }
  return sizes
}

describe('cluster: noise writes each message in one piece', function () {
  this.timeout(30_000)
  let a: Libp2p, b: Libp2p
  const write = net.Socket.prototype.write
  let recorded: Uint8Array[] | undefined

  before(async () => {
    [a, b] = await Promise.all([loopbackNode(), loopbackNode()])
    await b.handle(PROTOCOL, (stream) => {
      stream.addEventListener('message', (evt) => { stream.send(evt.data) })
    })
    net.Socket.prototype.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
      if (recorded !== undefined && chunk instanceof Uint8Array) recorded.push(Uint8Array.from(chunk))
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
    } as typeof write
  })

  after(async () => {
    net.Socket.prototype.write = write
    await Promise.all([a?.stop(), b?.stop()])
  })

  it('echoes 20 messages of 1-2,000 bytes, each socket write whole noise messages', async () => {
    const stream = await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL)
    let received = 0
    let arrived = (): void => {}
    stream.addEventListener('message', (evt) => { received += evt.data.byteLength; arrived() })
    recorded = []
    let sent = 0
    for (let i = 1; i <= 20; i++) {
      const size = i * 100
      sent += size
      const echoed = new Promise<void>((resolve) => { arrived = () => { if (received >= sent) resolve() } })
      stream.send(new Uint8Array(size).fill(i))
      await echoed
    }
    const writes = recorded
    recorded = undefined
    await stream.close()
    assert.equal(received, sent)
    assert.ok(writes.length >= 40, `${writes.length} writes recorded`)
    for (const w of writes) {
      assert.ok(noiseMessages(w) !== undefined, `a write of ${w.byteLength} bytes is not whole noise messages`)
    }
  })
})
