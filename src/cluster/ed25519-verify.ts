// Ed25519 signature checks with the verifying key made once per peer. @libp2p/crypto's Ed25519PublicKey.verify
// builds a node KeyObject from a JWK for every signature, and gossipsub (every heartbeat) and noise (every
// handshake) verify through it with a fresh key object each time: the import cost as much as the check itself.
// Its verify is replaced, for every instance, by one that keeps the KeyObject per key (bounded): same check, same
// answers (a signature of the wrong length still throws, as before).
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { Uint8ArrayList } from 'uint8arraylist'
import { clusterLimits } from './limits.js'

// DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow.
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex')
const keys = new Map<string, KeyObject>()
let installed = false

/** The node KeyObject for a raw 32-byte Ed25519 public key, made once while it stays among the recent ones. */
export function ed25519KeyObject (raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')
  let key = keys.get(id)
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([spkiPrefix, raw]), format: 'der', type: 'spki' })
    if (keys.size >= clusterLimits.verifyKeyCacheSize) keys.delete(keys.keys().next().value!)
  } else {
    keys.delete(id) // most recently used last
  }
  keys.set(id, key)
  return key
}

/** Makes every Ed25519PublicKey of @libp2p/crypto verify with ed25519KeyObject. Idempotent. */
export function cacheEd25519VerifyKeys (): void {
  if (installed) return
  installed = true
  const proto = Object.getPrototypeOf(publicKeyFromRaw(new Uint8Array(32)))
  proto.verify = function (this: { raw: Uint8Array }, data: Uint8Array | Uint8ArrayList, sig: Uint8Array, options?: { signal?: AbortSignal }): boolean {
    options?.signal?.throwIfAborted()
    if (sig.byteLength !== 64) throw new TypeError('"sig" must be 64 bytes in length.')
    return verify(null, data instanceof Uint8Array ? data : data.subarray(), ed25519KeyObject(this.raw), sig)
  }
}
