// Salsa20, HSalsa20 and the XSalsa20 keystream (D. J. Bernstein's "Salsa20 specification" and "Extending the
// Salsa20 nonce"): the cipher of libp2p's pre-shared-key protector (private-network.ts) and of the swarm key's
// fingerprint. Written here because no package fits (see XSalsa20Stream); test/cluster/salsa20.test.ts checks it
// against a published answer and two independent implementations.
import { Buffer } from 'node:buffer'

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] // "expand 32-byte k"
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1

/** Salsa20's 16-word input: constants, `key` (32 bytes), and 16 bytes in words 6-9 (nonce and block counter). */
function input (key: Uint8Array, words6to9: Uint8Array): Uint32Array {
  const k = new DataView(key.buffer, key.byteOffset, 32)
  const n = new DataView(words6to9.buffer, words6to9.byteOffset, words6to9.length)
  const x = new Uint32Array(16)
  x[0] = SIGMA[0]; x[5] = SIGMA[1]; x[10] = SIGMA[2]; x[15] = SIGMA[3]
  for (let i = 0; i < 4; i++) {
    x[1 + i] = k.getUint32(4 * i, true)
    x[11 + i] = k.getUint32(16 + 4 * i, true)
    if (4 * i < words6to9.length) x[6 + i] = n.getUint32(4 * i, true)
  }
  return x
}

const rotl = (v: number, n: number): number => (v << n) | (v >>> (32 - n))

/**
 * Writes `count` 64-byte keystream blocks (as little-endian words) into `out` from word `at`, starting at the block
 * counter in `state` words 8-9, which it advances.
 */
function salsa20Blocks (state: Uint32Array, out: Uint32Array, at: number, count: number): void {
  const j0 = state[0]; const j1 = state[1]; const j2 = state[2]; const j3 = state[3]
  const j4 = state[4]; const j5 = state[5]; const j6 = state[6]; const j7 = state[7]
  const j10 = state[10]; const j11 = state[11]; const j12 = state[12]; const j13 = state[13]
  const j14 = state[14]; const j15 = state[15]
  let j8 = state[8]; let j9 = state[9]
  for (let b = 0, o = at; b < count; b++, o += 16) {
    let x0 = j0; let x1 = j1; let x2 = j2; let x3 = j3; let x4 = j4; let x5 = j5; let x6 = j6; let x7 = j7
    let x8 = j8; let x9 = j9; let x10 = j10; let x11 = j11; let x12 = j12; let x13 = j13; let x14 = j14; let x15 = j15
    for (let round = 0; round < 20; round += 2) {
      // columns
      x4 ^= rotl((x0 + x12) | 0, 7); x8 ^= rotl((x4 + x0) | 0, 9); x12 ^= rotl((x8 + x4) | 0, 13); x0 ^= rotl((x12 + x8) | 0, 18)
      x9 ^= rotl((x5 + x1) | 0, 7); x13 ^= rotl((x9 + x5) | 0, 9); x1 ^= rotl((x13 + x9) | 0, 13); x5 ^= rotl((x1 + x13) | 0, 18)
      x14 ^= rotl((x10 + x6) | 0, 7); x2 ^= rotl((x14 + x10) | 0, 9); x6 ^= rotl((x2 + x14) | 0, 13); x10 ^= rotl((x6 + x2) | 0, 18)
      x3 ^= rotl((x15 + x11) | 0, 7); x7 ^= rotl((x3 + x15) | 0, 9); x11 ^= rotl((x7 + x3) | 0, 13); x15 ^= rotl((x11 + x7) | 0, 18)
      // rows
      x1 ^= rotl((x0 + x3) | 0, 7); x2 ^= rotl((x1 + x0) | 0, 9); x3 ^= rotl((x2 + x1) | 0, 13); x0 ^= rotl((x3 + x2) | 0, 18)
      x6 ^= rotl((x5 + x4) | 0, 7); x7 ^= rotl((x6 + x5) | 0, 9); x4 ^= rotl((x7 + x6) | 0, 13); x5 ^= rotl((x4 + x7) | 0, 18)
      x11 ^= rotl((x10 + x9) | 0, 7); x8 ^= rotl((x11 + x10) | 0, 9); x9 ^= rotl((x8 + x11) | 0, 13); x10 ^= rotl((x9 + x8) | 0, 18)
      x12 ^= rotl((x15 + x14) | 0, 7); x13 ^= rotl((x12 + x15) | 0, 9); x14 ^= rotl((x13 + x12) | 0, 13); x15 ^= rotl((x14 + x13) | 0, 18)
    }
    out[o] = x0 + j0; out[o + 1] = x1 + j1; out[o + 2] = x2 + j2; out[o + 3] = x3 + j3
    out[o + 4] = x4 + j4; out[o + 5] = x5 + j5; out[o + 6] = x6 + j6; out[o + 7] = x7 + j7
    out[o + 8] = x8 + j8; out[o + 9] = x9 + j9; out[o + 10] = x10 + j10; out[o + 11] = x11 + j11
    out[o + 12] = x12 + j12; out[o + 13] = x13 + j13; out[o + 14] = x14 + j14; out[o + 15] = x15 + j15
    j8 = (j8 + 1) >>> 0
    if (j8 === 0) j9 = (j9 + 1) >>> 0
  }
  state[8] = j8; state[9] = j9
  if (!LITTLE_ENDIAN) for (let i = at; i < at + 16 * count; i++) out[i] = swap32(out[i])
}

/** Word `i` of a keystream block as a number, whatever the platform's byte order. */
const readWord = (out: Uint32Array, i: number): number => LITTLE_ENDIAN ? out[i] : swap32(out[i]) >>> 0

const swap32 = (v: number): number => ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)

/** The first Salsa20 block (counter 0) of `key` (32 bytes) and an 8-byte nonce. */
export function salsa20Block (key: Uint8Array, nonce: Uint8Array): Uint8Array {
  const out = new Uint32Array(16)
  salsa20Blocks(input(key, nonce.subarray(0, 8)), out, 0, 1)
  return new Uint8Array(out.buffer)
}

/** HSalsa20 of `key` (32 bytes) and a 16-byte input: the subkey XSalsa20 uses for the rest of its nonce. */
export function hsalsa20 (key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const state = input(key, nonce16.subarray(0, 16))
  const words = Uint32Array.from(state)
  const out = new Uint32Array(16)
  salsa20Blocks(words, out, 0, 1)
  // HSalsa20 is the 20 rounds without Salsa20's final addition of the input: take the input back out.
  const subkey = new DataView(new ArrayBuffer(32))
  ;[0, 5, 10, 15, 6, 7, 8, 9].forEach((w, i) => { subkey.setUint32(4 * i, readWord(out, w) - state[w], true) })
  return new Uint8Array(subkey.buffer)
}

/** Keystream computed at a time: the per-call cost is spread over this many blocks, and small messages share them. */
const KEYSTREAM_BLOCKS = 16
const KEYSTREAM_BYTES = 64 * KEYSTREAM_BLOCKS
/** Shorter runs are XORed byte by byte (a word view costs more than it saves). */
const WORDS_FROM_BYTES = 32

/**
 * One direction of an XSalsa20 stream under (key, 24-byte nonce): each call continues where the last one ended,
 * as a byte stream must. The keystream is computed a kilobyte at a time and XORed from there 32 bits at a time:
 * the output array is placed so that its bytes share the keystream's alignment.
 * node:crypto has no Salsa20. The npm `xsalsa20` package that @libp2p/pnet uses runs WASM, copies every chunk in
 * and out of its memory and re-encrypts the partial block before it (0.7-1.5 us per 100-byte chunk here, against
 * 0.4-1.2 for this), and all its streams share one WASM memory that each grows again through a stale view of the
 * others' growth: one connection sending 1 MiB chunks both ways throws an uncaught RangeError after ~30 MiB.
 * @noble/ciphers' xsalsa20 (a dependency of noise, not ours) takes the block counter per call but derives the
 * subkey every time, counts blocks in 32 bits (a stream ends at 256 GiB) and was slower still here.
 */
export class XSalsa20Stream {
  private readonly state: Uint32Array
  private readonly words = new Uint32Array(KEYSTREAM_BYTES / 4)
  private readonly keystream = new Uint8Array(this.words.buffer)
  private used = KEYSTREAM_BYTES

  constructor (key: Uint8Array, nonce: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`an XSalsa20 key is 32 bytes, not ${key.length}`)
    if (nonce.length !== 24) throw new RangeError(`an XSalsa20 nonce is 24 bytes, not ${nonce.length}`)
    this.state = input(hsalsa20(key, nonce.subarray(0, 16)), nonce.subarray(16, 24))
  }

  /** `data` XORed with the next data.length bytes of the keystream, in a new array. */
  xor (data: Uint8Array): Uint8Array {
    const out = this.alignedArray(data.length)
    out.set(data)
    this.xorInPlace(out)
    return out
  }

  /** The chunks, one after the other (`length` bytes in all), XORed with the keystream, in one new array. */
  xorChunks (chunks: Iterable<Uint8Array>, length: number): Uint8Array {
    const out = this.alignedArray(length)
    let at = 0
    for (const chunk of chunks) {
      out.set(chunk, at)
      at += chunk.length
    }
    this.xorInPlace(out)
    return out
  }

  /** XORs `data` with the next data.length bytes of the keystream, in place (fastest when aligned as alignedArray() places it). */
  xorInPlace (data: Uint8Array): void {
    const n = data.length
    const keystream = this.keystream
    let i = 0
    while (i < n) {
      if (this.used === KEYSTREAM_BYTES) {
        salsa20Blocks(this.state, this.words, 0, KEYSTREAM_BLOCKS)
        this.used = 0
      }
      let used = this.used
      const end = Math.min(n, i + KEYSTREAM_BYTES - used)
      while (i < end && (used & 3) !== 0) data[i++] ^= keystream[used++]
      const words = (end - i) >>> 2
      if (words * 4 >= WORDS_FROM_BYTES && ((data.byteOffset + i) & 3) === 0) {
        const view = new Uint32Array(data.buffer, data.byteOffset + i, words)
        const keywords = this.words
        for (let w = 0, k = used >>> 2; w < words; w++, k++) view[w] ^= keywords[k]
        i += 4 * words
        used += 4 * words
      }
      while (i < end) data[i++] ^= keystream[used++]
      this.used = used
    }
  }

  /** A new array of `length` bytes whose first byte has the alignment (mod 4) of the next keystream byte. */
  private alignedArray (length: number): Uint8Array {
    const raw = Buffer.allocUnsafe(length + 3)
    const offset = (this.used - raw.byteOffset) & 3
    return raw.subarray(offset, offset + length)
  }
}
