// Our XSalsa20 keystream (private clusters' cipher) against a published answer and two independent implementations.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { xsalsa20 as nobleXSalsa20 } from '@noble/ciphers/salsa.js'
import { XSalsa20Stream } from '../../src/cluster/salsa20.js'

/** @libp2p/pnet's own cipher (the npm `xsalsa20` package, WASM), streaming like ours. */
const pnetXSalsa20 = createRequire(import.meta.resolve('@libp2p/pnet'))('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => { update: (b: Uint8Array) => Uint8Array }
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('cluster: XSalsa20 keystream', () => {
  it('gives the published answer (NaCl tests/stream3.c: the first 32 bytes for "firstkey" and "nonce")', () => {
    const key = Buffer.from('1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389', 'hex')
    const nonce = Buffer.from('69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37', 'hex')
    assert.equal(hex(new XSalsa20Stream(key, nonce).xor(new Uint8Array(32))), 'eea6a7251c1e72916d11c2cb214d3c252539121d8e234e652d651fa4c8cff880')
  })

  it('streams as @libp2p/pnet\'s cipher and @noble/ciphers do, whatever the chunk sizes (1 B to 5 KiB, across keystream refills)', () => {
    for (let round = 0; round < 20; round++) {
      const key = randomBytes(32)
      const nonce = randomBytes(24)
      const data = randomBytes(40_000)
      const whole = nobleXSalsa20(key, nonce, data)
      const theirs = pnetXSalsa20(nonce, key)
      const ours = new XSalsa20Stream(key, nonce)
      for (let at = 0; at < data.length;) {
        const size = Math.min(data.length - at, Math.random() < 0.7 ? 1 + Math.floor(Math.random() * 100) : 1 + Math.floor(Math.random() * 5_000))
        const chunk = data.subarray(at, at + size)
        const mine = ours.xor(chunk)
        assert.equal(hex(mine), hex(whole.subarray(at, at + size)), `round ${round}: bytes ${at}..${at + size} differ from @noble/ciphers`)
        assert.equal(hex(mine), hex(theirs.update(chunk)), `round ${round}: bytes ${at}..${at + size} differ from @libp2p/pnet's cipher`)
        at += size
      }
    }
  })

  it('xorInto writes at an offset and may work in place; xor of the ciphertext with a fresh stream gives the plaintext', () => {
    const key = randomBytes(32)
    const nonce = randomBytes(24)
    const plain = randomBytes(3_000)
    const expected = nobleXSalsa20(key, nonce, plain)
    const buffer = Uint8Array.from(plain)
    const stream = new XSalsa20Stream(key, nonce)
    stream.xorInto(buffer.subarray(0, 1_234), buffer, 0)
    stream.xorInto(buffer.subarray(1_234), buffer, 1_234)
    assert.equal(hex(buffer), hex(expected))
    const out = new Uint8Array(3_010)
    new XSalsa20Stream(key, nonce).xorInto(expected, out, 10)
    assert.equal(hex(out.subarray(10)), hex(plain))
    assert.equal(hex(new XSalsa20Stream(key, nonce).xor(new Uint8Array(0))), '')
  })

  it('refuses a key that is not 32 bytes or a nonce that is not 24', () => {
    assert.throws(() => new XSalsa20Stream(randomBytes(16), randomBytes(24)), /key is 32 bytes, not 16/)
    assert.throws(() => new XSalsa20Stream(randomBytes(32), randomBytes(8)), /nonce is 24 bytes, not 8/)
  })
})
