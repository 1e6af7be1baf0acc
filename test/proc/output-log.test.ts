// A proc's log: the last maxBytes of a stream, absolute offsets, readers that wait for more.
import assert from 'node:assert/strict'
import { OutputLog } from '../../src/proc/output-log.js'

const bytes = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) % 251)
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('proc: OutputLog', () => {
  it('keeps every byte while under its bound, and reads from any offset', () => {
    const log = new OutputLog(1024)
    log.append(text('hello '))
    log.append(text('world\n'))
    assert.deepEqual(log.read(0, 100), { start: 0, data: text('hello world\n'), end: 12, ended: false })
    assert.deepEqual(log.read(6, 3).data, text('wor'))
    assert.deepEqual(log.read(12, 100), { start: 12, data: new Uint8Array(0), end: 12, ended: false })
    log.close()
    assert.equal(log.read(12, 100).ended, true)
  })

  it('keeps exactly the last maxBytes of many small writes; a read from 0 starts where the kept bytes do', () => {
    const log = new OutputLog(10_000)
    const all: number[] = []
    for (let i = 0; i < 5000; i++) { const b = bytes(7, i * 7); log.append(b); all.push(...b) }
    const r = log.read(0, 1 << 20)
    assert.equal(r.end, 35_000)
    assert.equal(r.start, 25_000, 'the first 25,000 bytes were dropped')
    assert.deepEqual(r.data, Uint8Array.from(all.slice(25_000)))
    assert.equal(log.keptBytes, 10_000)
  })

  it('a write larger than the bound keeps its tail and drops everything before it', () => {
    const log = new OutputLog(1000)
    log.append(text('old'))
    const big = bytes(5000)
    log.append(big)
    const r = log.read(0, 1 << 20)
    assert.equal(r.start, 4003)
    assert.deepEqual(r.data, big.subarray(4000))
    log.append(text('!'))
    assert.deepEqual(log.read(5003, 10).data, text('!'))
    assert.equal(log.read(0, 1 << 20).start, 4004)
  })

  it('discard drops everything kept: a reader learns how much from start', () => {
    const log = new OutputLog(1000)
    log.append(bytes(300))
    log.discard()
    assert.deepEqual(log.read(0, 100), { start: 300, data: new Uint8Array(0), end: 300, ended: false })
    assert.equal(log.keptBytes, 0)
  })

  it('more() waits for a write after the offset, or for the end, or for an abort', async () => {
    const log = new OutputLog(1000)
    let woke = false
    const waiting = log.more(0).then(() => { woke = true })
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(woke, false)
    log.append(text('x'))
    await waiting
    await log.more(0) // there is a byte after 0 already
    const ending = log.more(1)
    log.close()
    await ending
    const other = new OutputLog(10)
    const ac = new AbortController()
    const aborted = other.more(0, ac.signal)
    ac.abort()
    await aborted
  })
})
