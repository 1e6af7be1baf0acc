// Coalesces frames queued in one tick into a single write.

export class BatchWriter {
  private queue: Uint8Array[] = []
  private bytes = 0
  private scheduled = false

  constructor (private readonly write: (chunk: Uint8Array) => void) {}

  push (frame: Uint8Array): void {
    this.queue.push(frame)
    this.bytes += frame.byteLength
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => { this.flush() })
    }
  }

  flush (): void {
    this.scheduled = false
    if (this.queue.length === 0) return
    let chunk: Uint8Array
    if (this.queue.length === 1) {
      chunk = this.queue[0]
    } else {
      chunk = new Uint8Array(this.bytes)
      let o = 0
      for (const f of this.queue) { chunk.set(f, o); o += f.byteLength }
    }
    this.queue = []
    this.bytes = 0
    this.write(chunk)
  }
}
