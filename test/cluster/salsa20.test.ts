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

  it('in place at any alignment, and over a list of chunks, it gives the same stream; XORing twice gives the plaintext back', () => {
    const key = randomBytes(32)
    const nonce = randomBytes(24)
    const plain = randomBytes(9_000)
    const expected = nobleXSalsa20(key, nonce, plain)
    for (let shift = 0; shift < 4; shift++) {
      // The data starts at byte offset `shift` of its buffer; chunk sizes move the keystream's alignment too.
      const buffer = new Uint8Array(plain.length + shift)
      buffer.set(plain, shift)
      const data = buffer.subarray(shift)
      const stream = new XSalsa20Stream(key, nonce)
      for (const [from, to] of [[0, 3], [3, 1_234], [1_234, 1_235], [1_235, 5_001], [5_001, 9_000]]) stream.xorInPlace(data.subarray(from, to))
      assert.equal(hex(data), hex(expected), `data at offset ${shift}`)
    }
    const stream = new XSalsa20Stream(key, nonce)
    const first = stream.xorChunks([plain.subarray(0, 7), plain.subarray(7, 7), plain.subarray(7, 2_000)], 2_000)
    const rest = stream.xorChunks([plain.subarray(2_000, 2_001), plain.subarray(2_001)], 7_000)
    assert.equal(hex(first) + hex(rest), hex(expected))
    assert.equal(hex(new XSalsa20Stream(key, nonce).xor(expected)), hex(plain))
    assert.equal(hex(new XSalsa20Stream(key, nonce).xor(new Uint8Array(0))), '')
  })

  it('refuses a key that is not 32 bytes or a nonce that is not 24', () => {
    assert.throws(() => new XSalsa20Stream(randomBytes(16), randomBytes(24)), /key is 32 bytes, not 16/)
    assert.throws(() => new XSalsa20Stream(randomBytes(32), randomBytes(8)), /nonce is 24 bytes, not 8/)
  })
})
