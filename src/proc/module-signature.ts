// Detached module signatures: an Ed25519 key vouches for a module by signing its SHA-256.
//
// What is signed: the bytes of SIGNED_PREFIX followed by the module's 32-byte SHA-256, so a signature
// over a module can never be taken for a signature over anything else (a heartbeat, another protocol's
// message). A signer is named by its raw 32-byte public key, written `ed25519:<64 hex digits>`.
//
// A signature file (`FILE.wasm.sig`, made by `ww sign`) holds one signature a line:
//   ed25519:<signer public key, 64 hex> <signature, 128 hex>
// Blank lines and lines starting with # are ignored.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { InvalidArgument } from '../errors.js'

/** The domain-separation prefix of every signed message. */
export const SIGNED_PREFIX = 'ww module signature v1\n'
export const SIGNER_PREFIX = 'ed25519:'
const PUBLIC_KEY_BYTES = 32
const SIGNATURE_BYTES = 64
const HASH_BYTES = 32

export interface ModuleSignature {
  /** The signer's raw Ed25519 public key (32 bytes). */
  signer: Uint8Array
  /** Ed25519 over SIGNED_PREFIX ++ the module's SHA-256 (64 bytes). */
  signature: Uint8Array
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function signedMessage (hash: Uint8Array): Buffer {
  if (hash.byteLength !== HASH_BYTES) throw new InvalidArgument(`a module hash is ${HASH_BYTES} bytes, not ${hash.byteLength}`)
  return Buffer.concat([Buffer.from(SIGNED_PREFIX), hash])
}

/** `ed25519:<hex>`, the form policies and flags take. */
export function formatSigner (publicKey: Uint8Array): string {
  return SIGNER_PREFIX + hex(publicKey)
}

/** The raw public key of `ed25519:<64 hex>`; InvalidArgument naming `where` otherwise. */
export function parseSigner (text: string, where: string): Uint8Array {
  const m = /^ed25519:([0-9a-f]{64})$/i.exec(text.trim())
  if (m === null) throw new InvalidArgument(`${where}: a signer is ${SIGNER_PREFIX} and 64 hex digits (as 'ww key signer' prints it), got ${JSON.stringify(text)}`)
  return new Uint8Array(Buffer.from(m[1], 'hex'))
}

/** A new signer key pair: the private key as PKCS#8 PEM (what `openssl genpkey -algorithm ed25519` writes too). */
export function newSignerKey (): { pem: string, publicKey: Uint8Array } {
  const { privateKey } = generateKeyPairSync('ed25519')
  return { pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: publicKeyOf(privateKey) }
}

/** The private key in `pem`; InvalidArgument naming `where` when it is not an Ed25519 private key. */
export function readSignerKey (pem: string, where: string): KeyObject {
  let key: KeyObject
  try {
    key = createPrivateKey(pem)
  } catch {
    throw new InvalidArgument(`${where} is not a private key file (make one with 'ww key signer --out FILE')`)
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new InvalidArgument(`${where} holds a key of type ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519: make a signer key with 'ww key signer --out FILE'`)
  return key
}

export function publicKeyOf (key: KeyObject): Uint8Array {
  const jwk = createPublicKey(key).export({ format: 'jwk' })
  return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))
}

export function signModule (hash: Uint8Array, key: KeyObject): ModuleSignature {
  return { signer: publicKeyOf(key), signature: new Uint8Array(sign(null, signedMessage(hash), key)) }
}

/** Whether `sig` is its signer's signature over the module with SHA-256 `hash`. Never throws. */
export function verifyModuleSignature (hash: Uint8Array, sig: ModuleSignature): boolean {
  if (sig.signer.byteLength !== PUBLIC_KEY_BYTES || sig.signature.byteLength !== SIGNATURE_BYTES || hash.byteLength !== HASH_BYTES) return false
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(sig.signer).toString('base64url') }, format: 'jwk' })
    return verify(null, signedMessage(hash), key, sig.signature)
  } catch {
    return false
  }
}

export function formatSignatureFile (sigs: readonly ModuleSignature[]): string {
  return sigs.map(s => `${formatSigner(s.signer)} ${hex(s.signature)}\n`).join('')
}

/** The signatures of a signature file; InvalidArgument naming the file and line for a malformed line. */
export function parseSignatureFile (text: string, file: string): ModuleSignature[] {
  const sigs: ModuleSignature[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const m = /^(\S+)\s+([0-9a-f]{128})$/i.exec(line)
    if (m === null) throw new InvalidArgument(`${file}:${i + 1}: expected "${SIGNER_PREFIX}<public key> <signature>" (as 'ww sign' writes it)`)
    sigs.push({ signer: parseSigner(m[1], `${file}:${i + 1}`), signature: new Uint8Array(Buffer.from(m[2], 'hex')) })
  })
  return sigs
}

/** `sigs` with `add` in place of any signature by the same signer. */
export function withSignature (sigs: readonly ModuleSignature[], add: ModuleSignature): ModuleSignature[] {
  return [...sigs.filter(s => hex(s.signer) !== hex(add.signer)), add]
}
