// SWIM's framing: the bytes lpStream writes, cut back into messages however the stream splits or joins them.
import assert from 'node:assert/strict'
import { lpStream, streamPair } from '@libp2p/utils'
import { concat } from 'uint8arrays/concat'
import { FrameReader, lengthPrefixed } from '../../src/cluster/swim-frames.js'
import { waitFor } from './helpers.js'

const messages = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(200).fill(7), new Uint8Array(70_000).fill(9)]

function readAll (chunks: Uint8Array[], maxBytes = 1 << 20): { got: Uint8Array[], reader: FrameReader } {
  const reader = new FrameReader(maxBytes)
  const got: Uint8Array[] = []
  for (const c of chunks) reader.push(c, m => got.push(m.slice()))
  return { got, reader }
}

describe('cluster: SWIM frames', () => {
  it('reads what lpStream writes, and writes what lpStream reads', async () => {
    const [a, b] = await streamPair()
    const reader = new FrameReader(1 << 20)
    const got: Uint8Array[] = []
    b.addEventListener('message', evt => { reader.push(evt.data, m => got.push(m.slice())) })
    const out = lpStream(a)
    for (const m of messages) await out.write(m)
    await waitFor(() => got.length === messages.length, 10_000, 'frames read')
    assert.deepEqual(got, messages)

    const [c, d] = await streamPair()
    const back = lpStream(d)
    for (const m of messages) c.send(lengthPrefixed(m))
    for (const m of messages) assert.deepEqual((await back.read()).subarray(), m)
  })

  it('hands on every message whether chunks hold one, several, or a part of one', () => {
    const stream = concat(messages.map(lengthPrefixed))
    for (const size of [1, 2, 3, 5, 64, 1000, stream.byteLength]) {
      const chunks: Uint8Array[] = []
      for (let at = 0; at < stream.byteLength; at += size) chunks.push(stream.subarray(at, at + size))
      const { got, reader } = readAll(chunks)
      assert.deepEqual(got, messages, `chunks of ${size} bytes`)
      assert.equal(reader.partial, 0)
    }
  })

  it('keeps a message cut short as partial, and refuses one longer than its limit with LimitExceeded', () => {
    const one = lengthPrefixed(new Uint8Array(100))
    const { got, reader } = readAll([one.subarray(0, 50)])
    assert.deepEqual(got, [])
    assert.equal(reader.partial, 50)
    assert.throws(() => readAll([lengthPrefixed(new Uint8Array(101))], 100), { name: 'LimitExceeded' })
    assert.throws(() => readAll([new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])]), { name: 'LimitExceeded' })
  })
})
