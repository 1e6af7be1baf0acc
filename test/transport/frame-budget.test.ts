// Decoders that share a node's budget for incomplete frames: each holds what its frame needs, the
// sum is capped, and bytes come back when a frame completes or its connection ends.
import assert from 'node:assert/strict'
import { LimitExceeded } from '../../src/errors.js'
import { FrameBudget, FrameDecoder, encodeFrame } from '../../src/transport/index.js'

const limits = (budget: FrameBudget) => ({ maxMessageBytes: 8 << 20, maxSegments: 16, budget }) // eslint-disable-line @typescript-eslint/explicit-function-return-type
const frame = (bytes: number): Uint8Array => encodeFrame([new ArrayBuffer(bytes)], [bytes]) // one segment of `bytes` (a multiple of 8)

describe('transport: the budget of incomplete frames', () => {
  it('a frame that would pass the budget fails LimitExceeded; others hold their share', () => {
    const budget = new FrameBudget(5 << 19)
    const a = new FrameDecoder(limits(budget))
    const b = new FrameDecoder(limits(budget))
    const big = frame(2 << 20)
    assert.deepEqual(a.pushViews(big.subarray(0, 1536 << 10)), [])
    assert.ok(budget.inUse >= 1536 << 10 && budget.inUse <= (2 << 20) + 64, `a holds what arrived, at most its frame: ${budget.inUse}`)
    assert.throws(() => b.pushViews(big.subarray(0, 1536 << 10)), (err: Error) => err instanceof LimitExceeded && /budget 2621440/.test(err.message))
    assert.equal(a.pushViews(big.subarray(1536 << 10)).length, 1) // a completes
    assert.equal(budget.inUse, 0, 'a large buffer is dropped once its frame is done')
    assert.deepEqual(b.pushViews(big.subarray(0, 1 << 20)), []) // room again
    b.dispose()
    assert.equal(budget.inUse, 0)
  })

  it('a header claiming a large frame holds only what has arrived (at most twice it), not the size it claims', () => {
    const budget = new FrameBudget(1 << 20)
    const claims = [0, 1, 2, 3].map(() => new FrameDecoder(limits(budget)))
    for (const d of claims) assert.deepEqual(d.pushViews(frame((8 << 20) - 64).subarray(0, 16)), [])
    assert.ok(budget.inUse <= 4 * 4096, `${budget.inUse}`)
    for (const d of claims) d.dispose()
  })

  it('small messages keep a small buffer, counted, and never grow it', () => {
    const budget = new FrameBudget(1 << 20)
    const d = new FrameDecoder(limits(budget))
    const f = frame(64)
    for (let i = 0; i < 1000; i++) {
      d.pushViews(f.subarray(0, 10))
      assert.equal(d.pushViews(f.subarray(10)).length, 1)
    }
    assert.ok(budget.inUse <= 4096, `${budget.inUse}`)
    d.dispose()
    assert.equal(budget.inUse, 0)
  })
})
