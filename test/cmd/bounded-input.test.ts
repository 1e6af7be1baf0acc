import assert from 'node:assert/strict'
import { boundedLines, readBounded } from '../../cmd/bounded-input.js'
import { withNewline } from '../../cmd/terminal-output.js'

const bytes = (s: string): Buffer => Buffer.from(s)
async function * chunksOf (...parts: Array<string | Buffer>): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? bytes(p) : p
}
const tooLong = (n: number): Error => new Error(`line ${n}`)

async function lines (input: AsyncIterable<Uint8Array>, max: number): Promise<string[]> {
  const out: string[] = []
  for await (const l of boundedLines(input, max, tooLong)) out.push(Buffer.from(l).toString())
  return out
}

describe('cli: bounded input', () => {
  it('splits lines across chunks, drops the "\\r" of "\\r\\n", keeps empty lines and a last line without "\\n"', async () => {
    assert.deepEqual(await lines(chunksOf('ab', 'c\nd', 'e\r', '\n\nlast'), 10), ['abc', 'de', '', 'last'])
    assert.deepEqual(await lines(chunksOf('one\n'), 10), ['one'])
    assert.deepEqual(await lines(chunksOf(), 10), [])
  })

  it('a line of exactly the limit passes (with "\\r\\n" too); one byte more fails naming its line', async () => {
    assert.deepEqual(await lines(chunksOf('12345\r\n', '12345'), 5), ['12345', '12345'])
    await assert.rejects(lines(chunksOf('ok\n', '123456\n'), 5), /^Error: line 2$/)
    await assert.rejects(lines(chunksOf('ok\n', '123456'), 5), /^Error: line 2$/)
  })

  it('fails while reading a long line, without reading the rest of it', async () => {
    let read = 0
    async function * endless (): AsyncGenerator<Uint8Array> {
      for (;;) { read += 1024; yield Buffer.alloc(1024, 'x') }
    }
    await assert.rejects(lines(endless(), 10_000), /^Error: line 1$/)
    assert.ok(read <= 10_000 + 2 + 1024, `read ${read} bytes`)
  })

  it('readBounded returns everything up to the limit and fails past it, without reading further', async () => {
    assert.equal(Buffer.from(await readBounded(chunksOf('ab', 'cd'), 4, () => new Error('big'))).toString(), 'abcd')
    assert.equal((await readBounded(chunksOf(), 4, () => new Error('big'))).byteLength, 0)
    let read = 0
    async function * endless (): AsyncGenerator<Uint8Array> {
      for (;;) { read += 3; yield bytes('abc') }
    }
    await assert.rejects(readBounded(endless(), 10, () => new Error('big')), /big/)
    assert.equal(read, 12)
  })

  it('ww load adds a newline only for a terminal, and only when the bytes lack one', () => {
    assert.equal(Buffer.from(withNewline(bytes('v1'), true)).toString(), 'v1\n')
    assert.equal(Buffer.from(withNewline(bytes('v1\n'), true)).toString(), 'v1\n')
    assert.equal(Buffer.from(withNewline(bytes('v1'), false)).toString(), 'v1')
    assert.equal(withNewline(new Uint8Array(0), true).byteLength, 0)
  })
})
