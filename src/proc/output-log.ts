// What a proc wrote to one stream, kept for `ww logs`: the last `maxBytes` bytes, in blocks that
// grow with the output (a proc that writes a line holds a small block, not a megabyte). Offsets are
// absolute: they count every byte ever written, so a reader that falls behind learns how much it lost.

/** Largest block; a block fills before the next is made. */
const MAX_BLOCK = 64 * 1024
const MIN_BLOCK = 256

interface Block { bytes: Uint8Array, used: number }

export interface LogRead {
  /** Offset of data[0]: later than asked when the bytes between were dropped. */
  start: number
  data: Uint8Array
  /** Offset after the last byte written so far. */
  end: number
  /** Nothing more will be written. */
  ended: boolean
}

export class OutputLog {
  private readonly blocks: Block[] = []
  /** Offset of blocks[0].bytes[0]. */
  private blocksStart = 0
  /** Offset of the first byte kept (within blocks[0]). */
  private first = 0
  private written = 0
  private done = false
  private waiters: Array<() => void> = []

  constructor (private readonly maxBytes: number) {}

  /** Bytes held now (what the log costs in memory, give or take a block). */
  get keptBytes (): number { return this.written - this.first }
  get ended (): boolean { return this.done }

  append (chunk: Uint8Array): void {
    if (this.done || chunk.byteLength === 0) return
    // only the last maxBytes of a huge write can survive
    const data = chunk.byteLength > this.maxBytes ? chunk.subarray(chunk.byteLength - this.maxBytes) : chunk
    if (data !== chunk) {
      this.written += chunk.byteLength - data.byteLength
      this.trim(this.written)
    }
    let at = 0
    while (at < data.byteLength) {
      let tail = this.blocks[this.blocks.length - 1]
      if (tail === undefined || tail.used === tail.bytes.byteLength) {
        const prev = tail?.bytes.byteLength ?? MIN_BLOCK / 2
        tail = { bytes: new Uint8Array(Math.min(MAX_BLOCK, Math.max(prev * 2, data.byteLength - at))), used: 0 }
        this.blocks.push(tail)
      }
      const n = Math.min(tail.bytes.byteLength - tail.used, data.byteLength - at)
      tail.bytes.set(data.subarray(at, at + n), tail.used)
      tail.used += n
      at += n
    }
    this.written += data.byteLength
    this.trim(this.written - this.maxBytes)
    this.wake()
  }

  /** No more output: readers that wait are told. */
  close (): void {
    this.done = true
    this.wake()
  }

  /** Drops everything kept (readers learn that it was dropped). */
  discard (): void {
    this.trim(this.written)
  }

  /** Up to `max` bytes from offset `from` (or from the first byte kept, if that is later). */
  read (from: number, max: number): LogRead {
    const start = Math.min(Math.max(from, this.first), this.written)
    const want = Math.min(max, this.written - start)
    const data = new Uint8Array(want)
    let blockStart = this.blocksStart
    let got = 0
    for (const b of this.blocks) {
      const blockEnd = blockStart + b.used
      const at = start + got
      if (got < want && at < blockEnd) {
        const n = Math.min(blockEnd - at, want - got)
        data.set(b.bytes.subarray(at - blockStart, at - blockStart + n), got)
        got += n
      }
      blockStart = blockEnd
      if (got === want) break
    }
    return { start, data, end: this.written, ended: this.done }
  }

  /** Resolves once there are bytes after `from`, or the log ended, or `signal` aborted. */
  async more (from: number, signal?: AbortSignal): Promise<void> {
    if (this.written > from || this.done || signal?.aborted === true) return
    await new Promise<void>(resolve => {
      const onAbort = (): void => { this.waiters = this.waiters.filter(w => w !== wake); resolve() }
      const wake = (): void => { signal?.removeEventListener('abort', onAbort); resolve() }
      this.waiters.push(wake)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  private wake (): void {
    for (const w of this.waiters.splice(0)) w()
  }

  /** Forgets the bytes before `offset`. */
  private trim (offset: number): void {
    if (offset <= this.first) return
    this.first = Math.min(offset, this.written)
    while (this.blocks.length > 0 && this.blocksStart + this.blocks[0].used <= this.first) {
      this.blocksStart += this.blocks[0].used
      this.blocks.shift()
    }
    if (this.blocks.length === 0) this.blocksStart = this.written
  }
}
