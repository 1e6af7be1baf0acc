// Standard Cap'n Proto stream framing: u32 (segment count - 1), u32 size in words per segment,
// padding to 8 bytes, then the segments.
import { LimitExceeded, InvalidArgument } from '../errors.js'
import type { FrameBudget } from './frame-budget.js'

export interface FrameLimits {
  maxMessageBytes: number
  maxSegments: number
  /** Shared by the node's connections: the bytes their decoders may buffer together (none: unbounded). */
  budget?: FrameBudget
  /** A frame begun but not complete after this long fails its transport with Timeout (none: no deadline). */
  frameTimeoutMs?: number
}

/** A decoder's buffer larger than this is dropped once it holds nothing (one large message must not pin its buffer). */
const KEPT_BUFFER_BYTES = 64 << 10

/**
 * A one-segment frame at least this large whose bytes span several chunks is gathered straight
 * into a buffer of its segment's exact size (handed over as the message's segment, no second
 * copy); up to EXACT_FRAME_MAX_BYTES, past which a header alone must not reserve its size.
 */
export const EXACT_FRAME_BYTES = 16 << 10
export const EXACT_FRAME_MAX_BYTES = 2 << 20

/** The segments of a message: each a whole ArrayBuffer (what capnp-es wants), word-aligned length. */
export type Segments = ArrayBuffer[]

/** A received message: its segments, or (one segment) a view of it in the bytes it arrived in. */
export type Received = Segments | DataView

/** A copy of a segment view in an ArrayBuffer of its own (what capnp-es wants). */
export function ownSegment (view: DataView): ArrayBuffer {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice().buffer as ArrayBuffer
}

/** Encodes segments (each `lengths[i]` bytes used, a multiple of 8) into one frame. */
export function encodeFrame (buffers: ArrayBuffer[], lengths: number[]): Uint8Array {
  const n = buffers.length
  const headerBytes = (4 + 4 * n + 7) & ~7
  let total = headerBytes
  for (let i = 0; i < n; i++) total += lengths[i]
  const out = new Uint8Array(total)
  const dv = new DataView(out.buffer)
  dv.setUint32(0, n - 1, true)
  for (let i = 0; i < n; i++) dv.setUint32(4 + 4 * i, lengths[i] / 8, true)
  let o = headerBytes
  for (let i = 0; i < n; i++) {
    out.set(new Uint8Array(buffers[i], 0, lengths[i]), o)
    o += lengths[i]
  }
  return out
}

/** Bytes of the frame for segments of these lengths (header included). */
export function frameBytes (lengths: number[]): number {
  let total = (4 + 4 * lengths.length + 7) & ~7
  for (const l of lengths) total += l
  return total
}

/** Writes the frame (header, then `lengths[i]` bytes of each buffer) into dst at offset. */
export function writeFrame (buffers: ArrayBuffer[], lengths: number[], dst: Uint8Array, dv: DataView, offset: number): void {
  const n = buffers.length
  dv.setUint32(offset, n - 1, true)
  for (let i = 0; i < n; i++) dv.setUint32(offset + 4 + 4 * i, lengths[i] / 8, true)
  if ((n & 1) === 0) dv.setUint32(offset + 4 + 4 * n, 0, true)
  let o = offset + ((4 + 4 * n + 7) & ~7)
  for (let i = 0; i < n; i++) {
    dst.set(new Uint8Array(buffers[i], 0, lengths[i]), o)
    o += lengths[i]
  }
}

/** Splits a byte stream into messages. Throws LimitExceeded / InvalidArgument on bad framing. */
export class FrameDecoder {
  private buf: Uint8Array = new Uint8Array(0)
  private bufView = new DataView(this.buf.buffer)
  private start = 0
  private end = 0
  /** Bytes of the incomplete frame at `start`, once its header has arrived (else 0). */
  private expected = 0
  /** A large one-segment frame being gathered into a buffer of its own (EXACT_FRAME_BYTES), and how much of it has arrived. */
  private body?: Uint8Array
  private bodyHave = 0

  constructor (private readonly limits: FrameLimits) {}

  /** Returns the buffer's bytes to the budget; the decoder is not used after. */
  dispose (): void {
    this.limits.budget?.give(this.buf.byteLength + (this.body?.byteLength ?? 0))
    this.body = undefined
    this.buf = new Uint8Array(0)
    this.bufView = new DataView(this.buf.buffer)
    this.start = 0
    this.end = 0
  }

  /** Feeds bytes; returns the complete messages they finish (each segment copied into a buffer of its own). */
  push (chunk: Uint8Array): Segments[] {
    const out = this.pushViews(chunk)
    for (let i = 0; i < out.length; i++) {
      const m = out[i]
      if (m instanceof DataView) out[i] = [ownSegment(m)]
    }
    return out as Segments[]
  }

  /**
   * Feeds bytes; returns the complete messages they finish. A one-segment message comes as a
   * DataView of its segment in the received bytes (no copy): valid only until the next push, so
   * use it at once or copy it (ownSegment).
   */
  pushViews (chunk: Uint8Array): Received[] {
    const out: Received[] = []
    this.feed(chunk, out)
    return out
  }

  private feed (chunk: Uint8Array, out: Received[]): void {
    if (this.body !== undefined) {
      const used = this.gather(chunk, 0, chunk.byteLength, out)
      if (used === chunk.byteLength) return
      chunk = chunk.subarray(used)
    }
    const held = this.end - this.start
    if (held > 0 && held < 8 && chunk.byteLength > 8 - held) {
      // A header split across chunks: its first 8 bytes may start gathering a large frame, which
      // then takes the rest of this chunk without a stop in the buffer.
      const need = 8 - held
      this.append(chunk.subarray(0, need))
      this.start += this.next(this.buf, this.bufView, this.start, this.end, out)
      if (this.start === this.end) { this.start = 0; this.end = 0 }
      if (this.body !== undefined) { this.feed(chunk.subarray(need), out); return }
      chunk = chunk.subarray(need)
    }
    if (this.start === this.end) {
      // nothing buffered: cut messages straight out of the chunk, keep only an incomplete tail.
      // A plain Uint8Array view: a Buffer's slice() would not copy.
      const bytes = chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      let o = 0
      for (;;) {
        const used = this.next(bytes, dv, o, bytes.byteLength, out)
        if (used === 0) break
        o += used
      }
      this.start = 0
      this.end = 0
      if (o < chunk.byteLength) this.append(chunk.subarray(o))
      else this.shrink()
      return
    }
    this.append(chunk)
    for (;;) {
      const used = this.next(this.buf, this.bufView, this.start, this.end, out)
      if (used === 0) break
      this.start += used
    }
    if (this.start === this.end) { this.start = 0; this.end = 0; this.shrink() }
  }

  private shrink (): void {
    if (this.buf.byteLength <= KEPT_BUFFER_BYTES) return
    this.limits.budget?.give(this.buf.byteLength)
    this.buf = new Uint8Array(0)
    this.bufView = new DataView(this.buf.buffer)
  }

  /** Bytes buffered of an incomplete message. */
  get pending (): number { return this.end - this.start + (this.body !== undefined ? 8 + this.bodyHave : 0) }

  /** Copies bytes[from, to) into the frame being gathered, as much as it needs; when it is whole, hands it to `out`. Returns the bytes used. */
  private gather (bytes: Uint8Array, from: number, to: number, out: Received[]): number {
    const body = this.body!
    const n = Math.min(body.byteLength - this.bodyHave, to - from)
    body.set(bytes.subarray(from, from + n), this.bodyHave)
    this.bodyHave += n
    if (this.bodyHave === body.byteLength) {
      this.body = undefined
      this.limits.budget?.give(body.byteLength)
      out.push([body.buffer as ArrayBuffer])
    }
    return n
  }

  private append (chunk: Uint8Array): void {
    const need = this.end + chunk.byteLength
    if (need > this.buf.byteLength) {
      const live = this.end - this.start
      if (live + chunk.byteLength <= this.buf.byteLength && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end)
      } else {
        // doubling, never past the frame's size once known: what is held (and charged) is at most
        // twice what arrived, so a header claiming 64 MiB does not take 64 MiB of the budget
        const need = live + chunk.byteLength
        const doubled = Math.max(need, this.buf.byteLength * 2, 4096)
        const size = this.expected >= need ? Math.min(doubled, this.expected) : doubled
        this.limits.budget?.take(size - this.buf.byteLength)
        const grown = new Uint8Array(size)
        grown.set(this.buf.subarray(this.start, this.end))
        this.buf = grown
        this.bufView = new DataView(grown.buffer)
      }
      this.start = 0
      this.end = live
    }
    this.buf.set(chunk, this.end)
    this.end += chunk.byteLength
  }

  /**
   * Decodes one message from bytes[from, to) into `out`; returns the bytes it used (0: incomplete).
   * `dv` views the same bytes as `bytes` (same offsets).
   */
  private next (bytes: Uint8Array, dv: DataView, from: number, to: number, out: Received[]): number {
    const avail = to - from
    this.expected = 0
    if (avail < 8) return 0
    const count = dv.getUint32(from, true) + 1
    if (count > this.limits.maxSegments) throw new LimitExceeded(`message has ${count} segments (limit ${this.limits.maxSegments})`)
    const headerBytes = (4 + 4 * count + 7) & ~7
    if (avail < headerBytes) return 0
    let total = headerBytes
    for (let i = 0; i < count; i++) total += dv.getUint32(from + 4 + 4 * i, true) * 8
    if (total > this.limits.maxMessageBytes) throw new LimitExceeded(`message of ${total} bytes (limit ${this.limits.maxMessageBytes})`)
    if (dv.getUint32(from + 4, true) === 0) throw new InvalidArgument('first segment of a message is empty')
    if (avail < total) {
      const segmentBytes = total - headerBytes
      if (count === 1 && segmentBytes >= EXACT_FRAME_BYTES && segmentBytes <= EXACT_FRAME_MAX_BYTES) {
        this.limits.budget?.take(segmentBytes)
        this.body = new Uint8Array(segmentBytes)
        this.bodyHave = 0
        return headerBytes + this.gather(bytes, from + headerBytes, to, out)
      }
      this.expected = total
      return 0
    }
    // One segment: a view, copied later only if the reader needs a buffer of its own. Several:
    // each copied into an ArrayBuffer of its own (typed-array slice: about twice as fast as
    // ArrayBuffer.prototype.slice on Node 20).
    let o = from + headerBytes
    if (count === 1) {
      out.push(new DataView(bytes.buffer, bytes.byteOffset + o, total - headerBytes))
      return total
    }
    const segments: Segments = new Array(count)
    for (let i = 0; i < count; i++) {
      const len = dv.getUint32(from + 4 + 4 * i, true) * 8
      segments[i] = bytes.slice(o, o + len).buffer as ArrayBuffer
      o += len
    }
    out.push(segments)
    return total
  }
}
