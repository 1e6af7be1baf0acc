// Bounds-checked access to a guest's linear memory. Every pointer and length a guest passes to a
// host call goes through here; an out-of-range one throws Fault, which host calls turn into EFAULT.

export class Fault extends Error {
  constructor (what: string) { super(`bad pointer: ${what}`); this.name = 'Fault' }
}

const decoder = new TextDecoder('utf-8', { fatal: false })
const encoder = new TextEncoder()

/** Up to this many bytes, copy() copies byte by byte. */
const SMALL_COPY = 64

const EMPTY = new ArrayBuffer(0)
// views of no bytes: shared by every GuestMemory not attached (or not refreshed) yet
const EMPTY_U8 = new Uint8Array(EMPTY)
const EMPTY_DV = new DataView(EMPTY)

export class GuestMemory {
  private memory: WebAssembly.Memory | undefined
  // memory.buffer is slow to read; a grow detaches the old buffer (byteLength 0), so refresh then
  private buf: ArrayBuffer = EMPTY
  private u8 = EMPTY_U8
  private dv = EMPTY_DV

  /** Points at `memory`; undefined lets go of the old one entirely (the views too: they hold its buffer). */
  attach (memory: WebAssembly.Memory | undefined): void {
    this.memory = memory
    this.buf = EMPTY
    this.u8 = EMPTY_U8
    this.dv = EMPTY_DV
  }

  private refresh (): void {
    if (this.buf.byteLength !== 0 || this.memory === undefined) return
    this.buf = this.memory.buffer
    this.u8 = new Uint8Array(this.buf)
    this.dv = new DataView(this.buf)
  }

  get size (): number { this.refresh(); return this.buf.byteLength }

  /** Checks [ptr, ptr+len) lies in memory; pointers arrive as signed i32 and are read unsigned. */
  check (ptr: number, len: number): number {
    this.refresh()
    const p = ptr >>> 0
    const n = len >>> 0
    if (p + n > this.buf.byteLength) throw new Fault(`[${p}, ${p + n})`)
    return p
  }

  bytes (ptr: number, len: number): Uint8Array {
    const p = this.check(ptr, len)
    const u8 = this.u8
    return u8.subarray(p, p + (len >>> 0))
  }

  /** A copy, safe to keep after the guest runs again. */
  copy (ptr: number, len: number): Uint8Array {
    const p = this.check(ptr, len)
    const n = len >>> 0
    if (n > SMALL_COPY) return this.u8.slice(p, p + n)
    // a message of a few bytes: a loop is cheaper than slice's species lookup and call into the runtime
    const out = new Uint8Array(n)
    const u8 = this.u8
    for (let i = 0; i < n; i++) out[i] = u8[p + i]
    return out
  }

  string (ptr: number, len: number): string {
    return decoder.decode(this.bytes(ptr, len))
  }

  view (ptr: number, len: number): DataView {
    const p = this.check(ptr, len)
    return new DataView(this.buf, p, len >>> 0)
  }

  // check() first: it may refresh this.dv after a grow
  u32 (ptr: number): number { const p = this.check(ptr, 4); return this.dv.getUint32(p, true) }
  setU32 (ptr: number, v: number): void { const p = this.check(ptr, 4); this.dv.setUint32(p, v >>> 0, true) }
  setI32 (ptr: number, v: number): void { const p = this.check(ptr, 4); this.dv.setInt32(p, v | 0, true) }
  setU64 (ptr: number, v: bigint): void { const p = this.check(ptr, 8); this.dv.setBigUint64(p, v, true) }

  /** Writes as much of `src` as fits in `cap` bytes at ptr; returns the count written. */
  writeTruncated (ptr: number, cap: number, src: Uint8Array): number {
    const n = Math.min(cap >>> 0, src.length)
    const p = this.check(ptr, n)
    this.u8.set(n === src.length ? src : src.subarray(0, n), p)
    return n
  }
}

export function utf8 (s: string): Uint8Array { return encoder.encode(s) }
