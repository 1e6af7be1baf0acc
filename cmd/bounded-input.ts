// Reading input with a bound: a line or a value over the limit fails as soon as it passes the
// limit, so the client never holds more than the limit plus one chunk of it.

const NEWLINE = 0x0a
const CR = 0x0d

/**
 * The lines of a byte stream (split at "\n"; a "\r" before it is dropped; a last line without
 * "\n" counts), each at most `maxBytes` long. A longer line throws `tooLong(its number)` once
 * `maxBytes` + 2 of its bytes have been read: the rest of it is never read.
 */
export async function * boundedLines (input: AsyncIterable<Uint8Array>, maxBytes: number,
  tooLong: (lineNumber: number) => Error): AsyncGenerator<Uint8Array> {
  let partial: Uint8Array[] = []
  let partialBytes = 0
  let lineNumber = 0
  const finish = (last: Uint8Array): Uint8Array => {
    lineNumber++
    let line = partial.length === 0 ? last : Buffer.concat([...partial, last])
    partial = []
    partialBytes = 0
    if (line.byteLength > 0 && line[line.byteLength - 1] === CR) line = line.subarray(0, line.byteLength - 1)
    if (line.byteLength > maxBytes) throw tooLong(lineNumber)
    return line
  }
  for await (const chunk of input) {
    let start = 0
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      yield finish(chunk.subarray(start, nl))
      start = nl + 1
    }
    if (start < chunk.byteLength) {
      partial.push(chunk.subarray(start))
      partialBytes += chunk.byteLength - start
      if (partialBytes > maxBytes + 1) throw tooLong(lineNumber + 1) // + 1: room for a "\r"
    }
  }
  if (partialBytes > 0) yield finish(new Uint8Array(0))
}

/** All of a byte stream, at most `maxBytes`; a longer one throws `tooBig()` once `maxBytes` + 1 bytes are read. */
export async function readBounded (input: AsyncIterable<Uint8Array>, maxBytes: number, tooBig: () => Error): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of input) {
    total += chunk.byteLength
    if (total > maxBytes) throw tooBig()
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
