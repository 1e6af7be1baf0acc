import assert from 'node:assert/strict'
import { InvalidArgument, LimitExceeded } from '../../src/errors.js'
import { withMemoryMaximum } from '../../src/proc/memory-limit.js'

// (module (memory 2)) and (module (memory 1 100)) in binary form
const NO_MAX = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 2])
const WITH_MAX = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 4, 1, 1, 1, 100])
const PAGE = 65536

/** Instantiates the module with its memory exported as "mem", and probes the maximum by growing. */
function limits (bytes: Uint8Array): { initial: number, maximum: number } {
  const m = new WebAssembly.Module(new Uint8Array([...bytes, 7, 7, 1, 3, 109, 101, 109, 2, 0]))
  const memory = new WebAssembly.Instance(m, {}).exports.mem as WebAssembly.Memory
  const initial = memory.buffer.byteLength / PAGE
  let n = initial
  try { for (; n < 70000; n++) memory.grow(1) } catch {}
  return { initial, maximum: n }
}

describe('proc: memory maximum', () => {
  it('adds a maximum to a memory that has none', () => {
    assert.deepEqual(limits(withMemoryMaximum(NO_MAX, 5 * PAGE)), { initial: 2, maximum: 5 })
  })

  it('lowers a larger declared maximum, keeps a smaller one', () => {
    assert.deepEqual(limits(withMemoryMaximum(WITH_MAX, 10 * PAGE)), { initial: 1, maximum: 10 })
    assert.deepEqual(limits(withMemoryMaximum(WITH_MAX, 1000 * PAGE)), { initial: 1, maximum: 100 })
  })

  it('refuses a limit below the initial memory, and malformed sections', () => {
    assert.throws(() => withMemoryMaximum(NO_MAX, PAGE), LimitExceeded)
    const twoMemories = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 5, 2, 0, 1, 0, 1])
    assert.throws(() => withMemoryMaximum(twoMemories, 5 * PAGE), InvalidArgument)
  })
})
