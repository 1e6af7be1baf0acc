// `ww key signer`, `ww key public` and `ww sign`: the files they write and every error path (one line, exit code).
import assert from 'node:assert/strict'
import { generateKeyPairSync, createHash } from 'node:crypto'
import { copyFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseSignatureFile, verifyModuleSignature, formatSigner } from '../../src/proc/module-signature.js'
import { guest } from './cli-procs.js'
import { tempHome, ww } from './cli-node.js'

describe('host: ww key signer and ww sign', function () {
  this.timeout(120_000)
  const dirs: string[] = []
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })
  const dir = (): string => { const d = tempHome(); dirs.push(d); return d }

  it('makes a key file (0600, never overwritten) and prints its public key; ww key public prints it again', () => {
    const d = dir()
    const file = join(d, 'signer.pem')
    const r = ww('key', 'signer', '--out', file)
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /^ed25519:[0-9a-f]{64}\n$/)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.match(readFileSync(file, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/)
    assert.equal(ww('key', 'public', file).stdout, r.stdout)

    const again = ww('key', 'signer', '--out', file)
    assert.equal(again.status, 5)
    assert.equal(again.stderr, `ww: ${file} already exists: not overwriting it (a key in use would be lost); remove it first or choose another file\n`)
    const noOut = ww('key', 'signer')
    assert.equal(noOut.status, 2)
    assert.equal(noOut.stderr, "ww: required option '-o, --out <file>' not specified\n")
  })

  it('writes FILE.wasm.sig: one line per signer, a signature over the module\'s hash that verifies; signing again replaces the line', () => {
    const d = dir()
    const wasm = join(d, 'hello.wasm')
    copyFileSync(guest('hello'), wasm)
    const k1 = ww('key', 'signer', '--out', join(d, 'k1.pem')).stdout.trim()
    const k2 = ww('key', 'signer', '--out', join(d, 'k2.pem')).stdout.trim()
    for (const k of ['k1', 'k2', 'k1']) {
      const r = ww('sign', wasm, '--key', join(d, `${k}.pem`))
      assert.equal(r.status, 0, r.stderr)
      assert.equal(r.stdout + r.stderr, '')
    }
    const sigs = parseSignatureFile(readFileSync(`${wasm}.sig`, 'utf8'), 'sig')
    assert.deepEqual(sigs.map(s => formatSigner(s.signer)), [k2, k1])
    const hash = createHash('sha256').update(readFileSync(wasm)).digest()
    for (const s of sigs) assert.ok(verifyModuleSignature(hash, s))
    // Not over another module, nor over the bare hash without the domain prefix.
    const other = createHash('sha256').update(readFileSync(guest('echo'))).digest()
    assert.ok(!verifyModuleSignature(other, sigs[0]))
  })

  it('errors: a missing key file (3), no --key (2), a file that is not a key (2) or not an Ed25519 key (2), a module that is not WebAssembly (2) or missing (3)', () => {
    const d = dir()
    const wasm = join(d, 'hello.wasm')
    copyFileSync(guest('hello'), wasm)
    const key = join(d, 'k.pem')
    ww('key', 'signer', '--out', key)
    const ec = join(d, 'ec.pem')
    writeFileSync(ec, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }))
    const notWasm = join(d, 'notes.wasm')
    writeFileSync(notWasm, 'hello\n')
    const cases: Array<[string[], number, string]> = [
      [['sign', wasm, '--key', join(d, 'nokey.pem')], 3, `ww: no key file ${join(d, 'nokey.pem')}: make one with 'ww key signer --out ${join(d, 'nokey.pem')}'\n`],
      [['sign', wasm], 2, "ww: required option '-k, --key <keyfile>' not specified\n"],
      [['sign', wasm, '--key', wasm], 2, `ww: ${wasm} is not a private key file (make one with 'ww key signer --out FILE')\n`],
      [['sign', wasm, '--key', ec], 2, `ww: ${ec} holds a key of type ec, not Ed25519: make a signer key with 'ww key signer --out FILE'\n`],
      [['sign', notWasm, '--key', key], 2, `ww: ${notWasm} is not a WebAssembly module (no \\0asm header); ww sign takes a .wasm file built for wasm32-wasi\n`],
      [['sign', join(d, 'gone.wasm'), '--key', key], 3, `ww: cannot read ${join(d, 'gone.wasm')}: ENOENT\n`],
      [['key', 'public', join(d, 'nokey.pem')], 3, `ww: no key file ${join(d, 'nokey.pem')}: make one with 'ww key signer --out ${join(d, 'nokey.pem')}'\n`]
    ]
    for (const [args, status, stderr] of cases) {
      const r = ww(...args)
      assert.equal(r.stderr, stderr, args.join(' '))
      assert.equal(r.status, status, args.join(' '))
    }
  })

  it('ww run reads FILE.wasm.sig or --sig before it needs a node: a malformed or missing one is one line', () => {
    const d = dir()
    const wasm = join(d, 'hello.wasm')
    copyFileSync(guest('hello'), wasm)
    writeFileSync(`${wasm}.sig`, 'ed25519:abc 00\n')
    const bad = ww('run', wasm, '--home', d)
    assert.equal(bad.status, 2)
    assert.equal(bad.stderr, `ww: ${wasm}.sig:1: expected "ed25519:<public key> <signature>" (as 'ww sign' writes it)\n`)
    const missing = ww('run', wasm, '--home', d, '--sig', join(d, 'none.sig'))
    assert.equal(missing.status, 3)
    assert.equal(missing.stderr, `ww: no signature file ${join(d, 'none.sig')}: sign the module with 'ww sign MODULE --key KEYFILE'\n`)
  })
})
