// Outgoing chunks cut from a large buffer (a bump allocator). Making an ArrayBuffer costs about a
// microsecond on Node 20 (plus GC), several per RPC call; a slice of a shared slab costs nothing.
// A slice is handed out once and never reused (the stream may hold it after write returns), so a
// slab is freed by the GC once every chunk cut from it is gone.

/** Bytes of one slab (the default). */
export const SLAB_BYTES = 64 << 10

export class Slab {
  private bytes = new Uint8Array(0)
  private view = new DataView(this.bytes.buffer)
  private used = 0
  private readonly maxChunk: number

  /**
   * `slabBytes`: bytes of each slab. Chunks over a quarter of it get an ArrayBuffer of their own
   * (so one big chunk does not waste a slab).
   */
  constructor (private readonly slabBytes = SLAB_BYTES) {
    this.maxChunk = slabBytes >> 2
  }

  /** The buffer the last take() reserved its bytes in; `dv` views all of it. */
  get dst (): Uint8Array { return this.bytes }
  get dv (): DataView { return this.view }

  /** Reserves `size` bytes; returns their offset in `dst` (valid until the next take()). */
  take (size: number): number {
    if (size > this.maxChunk) {
      this.bytes = new Uint8Array(size)
      this.view = new DataView(this.bytes.buffer)
      this.used = this.bytes.byteLength // this buffer is the chunk's alone
      return 0
    }
    if (this.used + size > this.bytes.byteLength) {
      this.bytes = new Uint8Array(this.slabBytes)
      this.view = new DataView(this.bytes.buffer)
      this.used = 0
    }
    const at = this.used
    this.used = (at + size + 7) & ~7 // chunks start word-aligned
    return at
  }
}
