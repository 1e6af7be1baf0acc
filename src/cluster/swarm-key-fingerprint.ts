// A swarm key's fingerprint, computed as go-libp2p (and so kubo's "Swarm key fingerprint") does: the first
// 64-byte Salsa20 block for the key with the 8-byte nonce "finprint", hashed to 16 bytes with SHAKE-128.
// It names a key in logs without revealing it, and the same key shows the same fingerprint in kubo and in ww.
import { createHash } from 'node:crypto'
import { salsa20Block } from './salsa20.js'

/** Hex fingerprint (32 characters) of a 32-byte pre-shared key. */
export function swarmKeyFingerprint (psk: Uint8Array): string {
  const block = salsa20Block(psk, new TextEncoder().encode('finprint'))
  return createHash('shake128', { outputLength: 16 }).update(block).digest('hex')
}
