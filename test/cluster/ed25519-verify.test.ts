import assert from 'node:assert/strict'
import { generateKeyPair, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { cacheEd25519VerifyKeys, ed25519KeyObject } from '../../src/cluster/ed25519-verify.js'
import { clusterLimits } from '../../src/cluster/limits.js'
import { Uint8ArrayList } from 'uint8arraylist'

describe('cluster: Ed25519 verification with cached keys', () => {
  before(() => { cacheEd25519VerifyKeys() })

  it('accepts a good signature and refuses a changed message, a changed signature and another key', async () => {
    const a = await generateKeyPair('Ed25519')
    const b = await generateKeyPair('Ed25519')
    const msg = new TextEncoder().encode('heartbeat')
    const sig = await a.sign(msg)
    // A fresh key object each time, as gossipsub makes one per message: the check must not depend on the instance.
    const fresh = (raw: Uint8Array): ReturnType<typeof publicKeyFromRaw> => publicKeyFromRaw(raw)
    assert.equal(await fresh(a.publicKey.raw).verify(msg, sig), true)
    assert.equal(await fresh(a.publicKey.raw).verify(new Uint8ArrayList(msg.subarray(0, 4), msg.subarray(4)), sig), true)
    assert.equal(await fresh(a.publicKey.raw).verify(new TextEncoder().encode('heartbeaT'), sig), false)
    const bad = sig.slice()
    bad[10] ^= 1
    assert.equal(await fresh(a.publicKey.raw).verify(msg, bad), false)
    assert.equal(await fresh(b.publicKey.raw).verify(msg, sig), false)
    assert.throws(() => fresh(a.publicKey.raw).verify(msg, sig.subarray(0, 63)), /64 bytes/)
  })

  it('makes the key object once per key, and keeps at most verifyKeyCacheSize of them', async () => {
    const a = await generateKeyPair('Ed25519')
    const first = ed25519KeyObject(a.publicKey.raw)
    assert.equal(ed25519KeyObject(a.publicKey.raw.slice()), first)
    for (let i = 0; i < clusterLimits.verifyKeyCacheSize; i++) {
      ed25519KeyObject((await generateKeyPair('Ed25519')).publicKey.raw)
    }
    assert.notEqual(ed25519KeyObject(a.publicKey.raw), first, 'the oldest key was dropped')
  })
})
