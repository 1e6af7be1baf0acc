import assert from 'node:assert/strict'
import { concat } from 'uint8arrays/concat'
import { FrameDecoder, encodeFrame, memoryPair } from '../../src/transport/index.js'

const limits = { maxMessageBytes: 1 << 20, maxSegments: 64 }

/** A frame of segments filled with distinct bytes (lengths in words). */
function frame (words: number[], seed: number): { bytes: Uint8Array, segments: Uint8Array[] } {
  const segments = words.map((w, s) => Uint8Array.from({ length: w * 8 }, (_, i) => (seed * 31 + s * 7 + i) & 0xff))
  return { bytes: encodeFrame(segments.map(s => s.buffer), segments.map(s => s.byteLength)), segments }
}

describe('transport: frame decoding', () => {
  const frames = [frame([3], 1), frame([1, 2], 2), frame([5, 1, 4], 3), frame([2], 4)]
  const stream = concat(frames.map(f => f.bytes))

  const check = (got: ArrayBuffer[][]): void => {
    assert.equal(got.length, frames.length)
    got.forEach((segs, m) => {
      assert.equal(segs.length, frames[m].segments.length)
      segs.forEach((seg, s) => { assert.deepEqual(new Uint8Array(seg), frames[m].segments[s], `message ${m} segment ${s}`) })
    })
  }

  it('cuts whole messages, each segment an ArrayBuffer of its own, at every split of the byte stream', () => {
    for (let cut = 0; cut <= stream.byteLength; cut++) {
      const d = new FrameDecoder(limits)
      check([...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))])
      assert.equal(d.pending, 0)
    }
  })

  it('copies out of a Buffer that views a larger pooled buffer at an offset (socket reads)', () => {
    const pool = Buffer.alloc(stream.byteLength + 100, 0xee)
    pool.set(stream, 37)
    const d = new FrameDecoder(limits)
    const got = d.push(pool.subarray(37, 37 + stream.byteLength))
    check(got)
    for (const segs of got) for (const seg of segs) assert.notEqual(seg, pool.buffer)
    pool.fill(0)
    check(got)
  })

  it('pushViews gives one-segment messages as views of the received bytes (no copy), at every split', () => {
    for (let cut = 0; cut <= stream.byteLength; cut++) {
      const pool = new Uint8Array(stream.byteLength + 16)
      pool.set(stream, 11)
      const d = new FrameDecoder(limits)
      const got: ArrayBuffer[][] = []
      for (const part of [pool.subarray(11, 11 + cut), pool.subarray(11 + cut, 11 + stream.byteLength)]) {
        for (const m of d.pushViews(part)) {
          if (m instanceof DataView) {
            if (cut === 0) assert.equal(m.buffer, pool.buffer) // whole messages in one chunk: not copied
            got.push([new Uint8Array(m.buffer, m.byteOffset, m.byteLength).slice().buffer])
          } else got.push(m)
        }
      }
      check(got)
    }
  })

  it('a transport hands one-segment messages to handler.segment and the others to handler.message', async () => {
    const [a, b] = memoryPair()
    const seen: string[] = []
    let done!: () => void
    const all = new Promise<void>((resolve) => { done = resolve })
    b.start({
      segment (view) { seen.push(`view ${view.byteLength}`); if (seen.length === frames.length) done() },
      message (segs) { seen.push(`segments ${segs.length}`); if (seen.length === frames.length) done() },
      closed () {}
    }, limits)
    a.start({ message () {}, closed () {} }, limits)
    for (const f of frames) a.send(f.bytes)
    await all
    assert.deepEqual(seen, ['view 24', 'segments 2', 'segments 3', 'view 16'])
  })
})
