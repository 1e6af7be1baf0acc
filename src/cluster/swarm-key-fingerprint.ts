// A swarm key's fingerprint, computed as go-libp2p (and so kubo's "Swarm key fingerprint") does: the first
// 64-byte Salsa20 block for the key with the 8-byte nonce "finprint", hashed to 16 bytes with SHAKE-128.
// It names a key in logs without revealing it, and the same key shows the same fingerprint in kubo and in ww.
import { createHash } from 'node:crypto'

/** Hex fingerprint (32 characters) of a 32-byte pre-shared key. */
export function swarmKeyFingerprint (psk: Uint8Array): string {
  const block = salsa20Block(psk, new TextEncoder().encode('finprint'), false)
  return createHash('shake128', { outputLength: 16 }).update(block).digest('hex')
}

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] // "expand 32-byte k"

/**
 * The Salsa20 core over (key, 8 or 16 input bytes), counter 0. With `hsalsa` it is HSalsa20 instead: no final
 * addition, and words 0, 5, 10, 15, 6, 7, 8, 9 of the state out (the step XSalsa20 derives its subkey with);
 * exported so a test checks this core against an independent XSalsa20.
 */
export function salsa20Block (key: Uint8Array, input: Uint8Array, hsalsa: boolean): Uint8Array {
  const k = new DataView(key.buffer, key.byteOffset, 32)
  const word = (bytes: Uint8Array, at: number): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true)
  const x = new Uint32Array(16)
  x[0] = SIGMA[0]; x[5] = SIGMA[1]; x[10] = SIGMA[2]; x[15] = SIGMA[3]
  for (let i = 0; i < 4; i++) { x[1 + i] = k.getUint32(4 * i, true); x[11 + i] = k.getUint32(16 + 4 * i, true) }
  x[6] = word(input, 0); x[7] = word(input, 4)
  x[8] = input.length >= 16 ? word(input, 8) : 0 // the block counter (0) for Salsa20
  x[9] = input.length >= 16 ? word(input, 12) : 0
  const s = Uint32Array.from(x)
  const quarter = (a: number, b: number, c: number, d: number): void => {
    s[b] ^= rotl(s[a] + s[d], 7); s[c] ^= rotl(s[b] + s[a], 9)
    s[d] ^= rotl(s[c] + s[b], 13); s[a] ^= rotl(s[d] + s[c], 18)
  }
  for (let round = 0; round < 20; round += 2) {
    quarter(0, 4, 8, 12); quarter(5, 9, 13, 1); quarter(10, 14, 2, 6); quarter(15, 3, 7, 11)
    quarter(0, 1, 2, 3); quarter(5, 6, 7, 4); quarter(10, 11, 8, 9); quarter(15, 12, 13, 14)
  }
  const words = hsalsa ? [0, 5, 10, 15, 6, 7, 8, 9].map(i => s[i]) : Array.from(s, (v, i) => v + x[i])
  const out = new Uint8Array(words.length * 4)
  const view = new DataView(out.buffer)
  words.forEach((w, i) => { view.setUint32(4 * i, w >>> 0, true) })
  return out
}

const rotl = (v: number, n: number): number => ((v << n) | (v >>> (32 - n))) >>> 0
