// SWIM's framing on a libp2p stream: each message is preceded by its length as an unsigned varint (the framing of
// lpStream, so the protocol's bytes are unchanged), written and read without a promise per message.
import { decode, encodeUint8Array, encodingLength } from 'uint8-varint'
import { LimitExceeded } from '../errors.js'

/** `bytes` with its length before it, in one buffer (one stream frame, one noise frame). */
export function lengthPrefixed (bytes: Uint8Array): Uint8Array {
  const head = encodingLength(bytes.byteLength)
  const out = new Uint8Array(head + bytes.byteLength)
  encodeUint8Array(bytes.byteLength, out, 0)
  out.set(bytes, head)
  return out
}

/** A varint of a length within 64 KiB takes at most 3 bytes; a longer one is no length of ours. */
const maxHeadBytes = 5

/**
 * Cuts the chunks a stream delivers into messages. Most chunks hold exactly one whole message, which is handed on
 * without a copy; the chunks of a message split over several are kept and joined once it is all there (a peer that
 * sends it a byte at a time costs one copy, not one per byte).
 */
export class FrameReader {
  private parts: Uint8Array[] = []
  private held = 0
  /** Bytes (length and message) of the frame begun, once its length has arrived. */
  private need: number | undefined

  constructor (private readonly maxBytes: number) {}

  /** Bytes of a message begun and not finished. */
  get partial (): number { return this.held }

  /** Hands each whole message in `chunk` to `onFrame`; LimitExceeded for a length over maxBytes. */
  push (chunk: Uint8Array | { subarray: () => Uint8Array }, onFrame: (message: Uint8Array) => void): void {
    let buf = chunk instanceof Uint8Array ? chunk : chunk.subarray()
    if (this.held > 0) {
      this.parts.push(buf)
      this.held += buf.byteLength
      if (this.need === undefined) {
        // What came before is a length cut short (a few bytes): join it to this chunk to read the length.
        const whole = join(this.parts, this.held)
        this.parts = [whole]
        const head = headBytes(whole, 0)
        if (head !== undefined) this.need = head + this.lengthAt(whole, 0)
      }
      if (this.need === undefined || this.held < this.need) return
      buf = join(this.parts, this.held)
      this.parts = []
      this.held = 0
      this.need = undefined
    }
    let at = 0
    while (at < buf.byteLength) {
      const head = headBytes(buf, at)
      if (head === undefined) break
      const end = at + head + this.lengthAt(buf, at)
      if (end > buf.byteLength) {
        this.need = end - at
        break
      }
      onFrame(buf.subarray(at + head, end))
      at = end
    }
    if (at < buf.byteLength) {
      this.parts = [buf.subarray(at)]
      this.held = buf.byteLength - at
    }
  }

  /** The length at `at` (its varint all there); LimitExceeded over maxBytes. */
  private lengthAt (buf: Uint8Array, at: number): number {
    const length = decode(buf, at)
    if (length > this.maxBytes) throw new LimitExceeded(`SWIM frame of ${length} bytes exceeds maxSwimMessageBytes (${this.maxBytes})`)
    return length
  }
}

/** Bytes of the varint length at `at`, or undefined while it is not all there; LimitExceeded past maxHeadBytes. */
function headBytes (buf: Uint8Array, at: number): number | undefined {
  const end = Math.min(buf.byteLength, at + maxHeadBytes)
  for (let i = at; i < end; i++) if ((buf[i] & 0x80) === 0) return i + 1 - at
  if (end - at >= maxHeadBytes) throw new LimitExceeded(`SWIM frame length of more than ${maxHeadBytes} bytes`)
  return undefined
}

function join (parts: Uint8Array[], bytes: number): Uint8Array {
  if (parts.length === 1) return parts[0]
  const out = new Uint8Array(bytes)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.byteLength }
  return out
}
