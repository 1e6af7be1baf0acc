// Large channel messages cross a unix socket with one copy a side (the segment is written once and
// handed to the socket as it is; the receiver's data is a view of the buffer the frame was gathered
// into): every byte still arrives, in order, through sends and recvs pipelined many at a time,
// while the sender reuses its source buffer at once.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connection } from '../../src/rpc/index.js'
import { connectUnix, listenUnix } from '../../src/transport/index.js'
import { ChanClient } from '../../src/schema/channel.rpc.js'
import { serveChan } from '../../src/caps/chan.js'
import { readMessage, writeMessage } from '../../src/caps/chan-message.js'

const SIZES = [16, 2047, 2049, (16 << 10) - 8, 16 << 10, 64 << 10, 200_000, (1 << 20) - 64]
const fill = (dst: Uint8Array, seed: number): Uint8Array => { for (let i = 0; i < dst.byteLength; i++) dst[i] = (i * 31 + seed * 7) & 0xff; return dst }

describe('csp: large channel messages over a unix socket', function () {
  this.timeout(60000)
  const dir = mkdtempSync(join(tmpdir(), 'ww-large-'))
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('every size from 16 B to 1 MiB arrives whole and in order, 3 rounds pipelined both ways, the source buffer reused at once', async () => {
    const local = serveChan(8)
    const server = await listenUnix(join(dir, 'api.sock'), (t) => { void new Connection(t, { bootstrap: local }) })
    const client = new Connection(await connectUnix(join(dir, 'api.sock')))
    const chan = client.bootstrap(ChanClient)
    try {
      const source = new Uint8Array(1 << 20)
      const order = [...SIZES, ...SIZES.toReversed(), ...SIZES]
      const sends = order.map((size, i) => {
        const data = fill(source.subarray(0, size), i)
        const sent = chan.send((p) => { writeMessage(p._initMsg(), { data }) }).results
        source.fill(0xaa) // the message was written out of it already
        return sent
      })
      const recvs = order.map(async () => {
        const ans = chan.recv()
        try { return readMessage((await ans.results).msg).data } finally { ans.release() }
      })
      await Promise.all(sends)
      const got = await Promise.all(recvs)
      got.forEach((data, i) => {
        assert.equal(data.byteLength, order[i], `message ${i}: size`)
        assert.deepEqual(data, fill(new Uint8Array(order[i]), i), `message ${i} (${order[i]} bytes): contents`)
      })
    } finally {
      chan.release()
      local.release()
      client.close()
      server.close()
    }
  })
})
