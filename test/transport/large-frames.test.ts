// Large one-segment frames cross the transport with one copy a side: the writer hands the segment
// to the stream as it is, and a decoder gathers a frame that arrives in pieces straight into a
// buffer of the segment's size, which becomes the message's segment.
import assert from 'node:assert/strict'
import { BatchWriter } from '../../src/transport/batch-writer.js'
import { EXACT_FRAME_BYTES, EXACT_FRAME_MAX_BYTES } from '../../src/transport/framing.js'
import { LimitExceeded } from '../../src/errors.js'
import { FrameBudget, FrameDecoder, encodeFrame } from '../../src/transport/index.js'

const filled = (bytes: number, seed: number): Uint8Array => Uint8Array.from({ length: bytes }, (_, i) => (i * 13 + seed) & 0xff)

describe('transport: large frames, one copy a side', () => {
  it('a large one-segment frame arriving in pieces comes out as a buffer of exactly its segment, at every kind of split', () => {
    const seg = filled(64 << 10, 3)
    const bytes = encodeFrame([seg.buffer as ArrayBuffer], [seg.byteLength])
    for (const cuts of [[3], [8], [9], [100, 30000], [65543], [1000, 2000, 3000, 60000]]) {
      const budget = new FrameBudget(1 << 30)
      const d = new FrameDecoder({ maxMessageBytes: 1 << 24, maxSegments: 8, budget })
      const got = []
      let from = 0
      for (const to of [...cuts, bytes.byteLength]) {
        got.push(...d.pushViews(bytes.subarray(from, to)))
        if (to < bytes.byteLength) assert.ok(d.pending > 0, `pending after ${to} bytes`)
        from = to
      }
      assert.equal(got.length, 1)
      const m = got[0]
      assert.ok(Array.isArray(m), `cuts ${cuts.join(',')}: handed over as a segment of its own`)
      assert.equal(m.length, 1)
      assert.equal(m[0].byteLength, seg.byteLength, 'the buffer is the segment, exactly')
      assert.deepEqual(new Uint8Array(m[0]), seg)
      assert.equal(d.pending, 0)
      assert.ok(budget.inUse <= 4096, `the gathered buffer leaves the budget once handed over (a small header buffer may stay): ${budget.inUse}`)
    }
  })

  it('frames around a gathered one decode as before, and a frame past EXACT_FRAME_MAX_BYTES still grows as it arrives', () => {
    const small = filled(24, 1)
    const big = filled(EXACT_FRAME_BYTES, 2)
    const huge = filled(EXACT_FRAME_MAX_BYTES + 8, 4)
    const frames = [small, big, small, huge, small].map((s) => encodeFrame([s.buffer as ArrayBuffer], [s.byteLength]))
    const stream = new Uint8Array(frames.reduce((n, f) => n + f.byteLength, 0))
    let o = 0
    for (const f of frames) { stream.set(f, o); o += f.byteLength }
    const budget = new FrameBudget(1 << 30)
    const d = new FrameDecoder({ maxMessageBytes: 1 << 24, maxSegments: 8, budget })
    const got: Uint8Array[] = []
    let peak = 0
    for (let at = 0; at < stream.byteLength; at += 5000) {
      for (const m of d.pushViews(stream.subarray(at, Math.min(at + 5000, stream.byteLength)))) {
        got.push(m instanceof DataView ? new Uint8Array(m.buffer, m.byteOffset, m.byteLength).slice() : new Uint8Array(m[0]))
      }
      peak = Math.max(peak, budget.inUse)
    }
    assert.deepEqual(got, [small, big, small, huge, small])
    assert.ok(peak <= 2 * huge.byteLength + 64, `the huge frame held at most twice what it needs: ${peak}`)
    assert.equal(budget.inUse, 0)
  })

  it('the gathered buffer is charged to the budget when the header arrives: past it, LimitExceeded', () => {
    const seg = filled(1 << 20, 5)
    const bytes = encodeFrame([seg.buffer as ArrayBuffer], [seg.byteLength])
    const budget = new FrameBudget(512 << 10)
    const d = new FrameDecoder({ maxMessageBytes: 1 << 24, maxSegments: 8, budget })
    assert.throws(() => d.pushViews(bytes.subarray(0, 100)), (err: Error) => err instanceof LimitExceeded && /budget 524288/.test(err.message))
    assert.equal(budget.inUse, 0, 'nothing taken')
    const roomy = new FrameBudget(2 << 20)
    const e = new FrameDecoder({ maxMessageBytes: 1 << 24, maxSegments: 8, budget: roomy })
    assert.deepEqual(e.pushViews(bytes.subarray(0, 100)), [])
    assert.equal(roomy.inUse, seg.byteLength, 'the segment\'s size, from its header on')
    e.dispose()
    assert.equal(roomy.inUse, 0, 'given back when the connection ends mid-frame')
  })

  it('an owned chunk is written as it is (the same bytes, not a copy), between the copied frames queued around it', () => {
    const writes: Uint8Array[] = []
    let batches = 0
    const w = new BatchWriter((c) => { writes.push(c) }, (run) => { batches++; run() })
    const owned = filled(64 << 10, 6)
    w.push(Uint8Array.of(1, 2, 3))
    w.pushWith(8, (dst, _dv, at) => { dst.fill(9, at, at + 8) })
    w.pushOwned(owned)
    w.push(Uint8Array.of(4))
    w.flush()
    assert.equal(batches, 1, 'one flush, one batch (a socket corks it into one writev)')
    assert.equal(writes.length, 3)
    assert.deepEqual([...writes[0]], [1, 2, 3, 9, 9, 9, 9, 9, 9, 9, 9])
    assert.equal(writes[1], owned, 'the owned chunk itself')
    assert.deepEqual([...writes[2]], [4])
  })
})
