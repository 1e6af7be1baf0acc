import assert from 'node:assert/strict'
import crypto, { randomBytes } from 'node:crypto'
import { pureJsCrypto } from '@chainsafe/libp2p-noise'
import { Uint8ArrayList } from 'uint8arraylist'
import { nodeNoiseCrypto } from '../../src/cluster/noise-crypto.js'

const bytes = (b: Uint8Array | { subarray: () => Uint8Array }): Buffer => Buffer.from(b instanceof Uint8Array ? b : b.subarray())
/** Chunks as noise hands them over (a Uint8ArrayList: the package is installed in two versions, hence the cast). */
const chunks = (...parts: Uint8Array[]): Uint8Array => new Uint8ArrayList(...parts) as unknown as Uint8Array

describe('cluster: noise primitives from node:crypto agree with noise\'s own (noble) ones', () => {
  it('SHA-256 and HKDF give the same bytes, for plain and chunked input', () => {
    for (const size of [0, 1, 31, 32, 33, 1000, 70_000]) {
      const data = randomBytes(size)
      assert.deepEqual(bytes(nodeNoiseCrypto.hashSHA256(data)), bytes(pureJsCrypto.hashSHA256(data)))
      const chunked = chunks(data.subarray(0, size >> 1), data.subarray(size >> 1))
      assert.deepEqual(bytes(nodeNoiseCrypto.hashSHA256(chunked)), bytes(pureJsCrypto.hashSHA256(data)))
    }
    const ck = randomBytes(32)
    const ikm = randomBytes(32)
    const ours = nodeNoiseCrypto.getHKDF(ck, ikm).map(bytes)
    const theirs = pureJsCrypto.getHKDF(ck, ikm).map(bytes)
    assert.deepEqual(ours, theirs)
    assert.ok(ours.every(k => k.length === 32))
  })

  it('X25519: key pairs and shared secrets match across the two', () => {
    const a = nodeNoiseCrypto.generateX25519KeyPair()
    const b = pureJsCrypto.generateX25519KeyPair()
    assert.deepEqual(bytes(nodeNoiseCrypto.generateX25519KeyPairFromSeed(bytes(a.privateKey)).publicKey), bytes(a.publicKey))
    assert.deepEqual(bytes(nodeNoiseCrypto.generateX25519KeyPairFromSeed(bytes(b.privateKey)).publicKey), bytes(b.publicKey))
    const ab = nodeNoiseCrypto.generateX25519SharedKey(bytes(a.privateKey), bytes(b.publicKey))
    const ba = pureJsCrypto.generateX25519SharedKey(bytes(b.privateKey), bytes(a.publicKey))
    assert.deepEqual(bytes(ab), bytes(ba))
    assert.equal(ab.byteLength, 32)
  })

  it('ChaCha20-Poly1305: each opens what the other sealed, and a changed byte or associated data is refused', () => {
    const k = randomBytes(32)
    const nonce = Buffer.concat([Buffer.alloc(4), randomBytes(8)])
    const ad = randomBytes(32)
    for (const size of [0, 1, 15, 16, 17, 1199, 1200, 65_519]) {
      const plain = randomBytes(size)
      const sealed = bytes(nodeNoiseCrypto.chaCha20Poly1305Encrypt(plain, nonce, ad, k))
      assert.deepEqual(bytes(sealed), bytes(pureJsCrypto.chaCha20Poly1305Encrypt(plain, nonce, ad, k)))
      assert.deepEqual(bytes(pureJsCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, k)), plain)
      const chunked = chunks(bytes(sealed).subarray(0, size >> 1), bytes(sealed).subarray(size >> 1))
      assert.deepEqual(bytes(nodeNoiseCrypto.chaCha20Poly1305Decrypt(chunked, nonce, ad, k)), plain)
      const tampered = Buffer.from(bytes(sealed))
      tampered[tampered.length - 1 - (size % 7)] ^= 1
      assert.throws(() => nodeNoiseCrypto.chaCha20Poly1305Decrypt(tampered, nonce, ad, k))
      assert.throws(() => nodeNoiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, randomBytes(32), k))
    }
    assert.throws(() => nodeNoiseCrypto.chaCha20Poly1305Decrypt(randomBytes(15), nonce, ad, k), /shorter than its tag/)
  })

  it('parses each key noise hands back once, however many Diffie-Hellman steps use it', () => {
    const ours = nodeNoiseCrypto.generateX25519KeyPair()
    const theirs = pureJsCrypto.generateX25519KeyPair()
    const created = { createPrivateKey: 0, createPublicKey: 0 }
    const original = { createPrivateKey: crypto.createPrivateKey, createPublicKey: crypto.createPublicKey }
    crypto.createPrivateKey = (...a: Parameters<typeof crypto.createPrivateKey>) => { created.createPrivateKey++; return original.createPrivateKey(...a) }
    crypto.createPublicKey = (...a: Parameters<typeof crypto.createPublicKey>) => { created.createPublicKey++; return original.createPublicKey(...a) }
    try {
      const first = nodeNoiseCrypto.generateX25519SharedKey(ours.privateKey, theirs.publicKey)
      for (let i = 0; i < 3; i++) assert.deepEqual(nodeNoiseCrypto.generateX25519SharedKey(ours.privateKey, theirs.publicKey), first)
      assert.deepEqual(Buffer.from(first), Buffer.from(pureJsCrypto.generateX25519SharedKey(theirs.privateKey, ours.publicKey)))
    } finally {
      Object.assign(crypto, original)
    }
    // our key pair's private key was made as a key object; their public key is parsed once
    assert.deepEqual(created, { createPrivateKey: 0, createPublicKey: 1 })
  })
})
