// Noise's primitives from node:crypto alone (OpenSSL: SHA-256, HKDF, X25519, ChaCha20-Poly1305).
// @chainsafe/libp2p-noise's default crypto module compiles and instantiates two AssemblyScript WASM modules when it is
// imported (ChaCha20-Poly1305 and SHA-256, each with a 512 KiB memory), for speed on messages under 1,200 bytes; an
// idle node held them, their code and their compiler's pages for a cipher OpenSSL already has. batched-noise.ts hands
// this to noise, and the node's bundle (tools/bundle-start.mjs) puts it in place of that module, so it is never loaded.
import crypto from 'node:crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'

const CHACHA_POLY1305 = 'chacha20-poly1305'
const TAG_BYTES = 16
// DER prefixes of an X25519 private key (PKCS#8) and public key (SPKI) around their 32 raw bytes.
const PKCS8_PREFIX = Buffer.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20])
const SPKI_PREFIX = Buffer.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00])

/** noise's Uint8ArrayList (whichever copy of the package) or a plain array. */
type Bytes = Uint8Array | { subarray: () => Uint8Array }

const flat = (b: Bytes): Uint8Array => b instanceof Uint8Array ? b : b.subarray()

// Key objects by the raw key noise holds and hands back: a handshake uses each of its keys in two of its three
// Diffie-Hellman steps, and this host's static key in every handshake, while parsing a key into a KeyObject takes
// OpenSSL longer than the Diffie-Hellman step itself. Keyed by the array noise keeps, so they go with it.
const privateKeys = new WeakMap<object, crypto.KeyObject>()
const publicKeys = new WeakMap<object, crypto.KeyObject>()

function privateKeyOf (raw: Bytes): crypto.KeyObject {
  let key = privateKeys.get(raw)
  if (key === undefined) {
    key = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, flat(raw)]), format: 'der', type: 'pkcs8' })
    privateKeys.set(raw, key)
  }
  return key
}

function publicKeyOf (raw: Bytes): crypto.KeyObject {
  let key = publicKeys.get(raw)
  if (key === undefined) {
    key = crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, flat(raw)]), format: 'der', type: 'spki' })
    publicKeys.set(raw, key)
  }
  return key
}

function rawPublicKey (key: crypto.KeyObject): Uint8Array {
  return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length)
}

export const nodeNoiseCrypto: ICryptoInterface = {
  hashSHA256 (data) {
    const hash = crypto.createHash('sha256')
    if (data instanceof Uint8Array) hash.update(data)
    else for (const chunk of data) hash.update(chunk)
    return hash.digest()
  },

  getHKDF (ck, ikm) {
    // HKDF-SHA256 with the chaining key as salt and no info, 96 bytes: the three keys Noise's HKDF gives.
    const okm = new Uint8Array(crypto.hkdfSync('sha256', ikm, ck, new Uint8Array(0), 96))
    return [okm.subarray(0, 32), okm.subarray(32, 64), okm.subarray(64, 96)]
  },

  generateX25519KeyPair () {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('x25519')
    const raw = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length)
    privateKeys.set(raw, privateKey)
    return { publicKey: rawPublicKey(publicKey), privateKey: raw }
  },

  generateX25519KeyPairFromSeed (seed) {
    return { publicKey: rawPublicKey(crypto.createPublicKey(privateKeyOf(seed))), privateKey: seed }
  },

  generateX25519SharedKey (privateKey, publicKey) {
    return crypto.diffieHellman({ privateKey: privateKeyOf(privateKey), publicKey: publicKeyOf(publicKey) })
  },

  chaCha20Poly1305Encrypt (plaintext, nonce, ad, k) {
    const cipher = crypto.createCipheriv(CHACHA_POLY1305, k, nonce, { authTagLength: TAG_BYTES })
    cipher.setAAD(ad, { plaintextLength: plaintext.byteLength })
    const parts: Uint8Array[] = []
    if (plaintext instanceof Uint8Array) parts.push(cipher.update(plaintext))
    else for (const chunk of plaintext) parts.push(cipher.update(chunk))
    parts.push(cipher.final(), cipher.getAuthTag())
    return Buffer.concat(parts)
  },

  chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k, _dst) {
    const whole = flat(ciphertext)
    if (whole.byteLength < TAG_BYTES) throw new Error('Invalid chacha20poly1305 decryption: message shorter than its tag')
    const text = whole.subarray(0, whole.byteLength - TAG_BYTES)
    const decipher = crypto.createDecipheriv(CHACHA_POLY1305, k, nonce, { authTagLength: TAG_BYTES })
    decipher.setAAD(ad, { plaintextLength: text.byteLength })
    decipher.setAuthTag(whole.subarray(whole.byteLength - TAG_BYTES))
    const out = decipher.update(text)
    const final = decipher.final()
    return final.byteLength > 0 ? Buffer.concat([out, final]) : out
  }
}

/** The name noise's own module exports, for the bundle that substitutes this file for it. */
export const defaultCrypto = nodeNoiseCrypto
