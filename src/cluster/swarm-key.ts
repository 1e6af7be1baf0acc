// A private cluster's pre-shared key, in the file format kubo and go-libp2p use (libp2p's pnet spec, PSK v1):
//   /key/swarm/psk/1.0.0/
//   /base16/
//   <64 hex characters: 32 random bytes>
// Only base16 is accepted (@libp2p/pnet reads no other encoding). Nothing here loads libp2p: `ww key` uses it.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { InvalidArgument, NotFound, PermissionDenied } from '../errors.js'
import { swarmKeyFingerprint } from './swarm-key-fingerprint.js'

const TAG = '/key/swarm/psk/1.0.0/'
const CODEC = '/base16/'
const KEY_BYTES = 32

export interface SwarmKey {
  /** The file it was read from (for messages). */
  file: string
  /** The file's content in canonical form, which is what @libp2p/pnet's preSharedKey() takes. */
  encoded: Uint8Array
  /** The 32-byte key itself. */
  psk: Uint8Array
  /** 32 hex characters naming the key without revealing it (go-libp2p's fingerprint). */
  fingerprint: string
}

/** A new key file's content (with a final newline, as kubo's tools write it). */
export function newSwarmKeyText (): string {
  return `${TAG}\n${CODEC}\n${randomBytes(KEY_BYTES).toString('hex')}\n`
}

/** Reads and checks a key file: NotFound, PermissionDenied, or InvalidArgument saying what is wrong with it. */
export function readSwarmKey (file: string): SwarmKey {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new NotFound(`swarm key file ${file} not found; make one with 'ww key swarm --out ${file}'`)
    if (code === 'EACCES' || code === 'EPERM') throw new PermissionDenied(`cannot read swarm key file ${file}: permission denied`)
    if (code === 'EISDIR') throw new InvalidArgument(`swarm key file ${file} is a directory; give the key file`)
    throw err
  }
  return parseSwarmKey(bytes, file)
}

/** Checks a key file's content; InvalidArgument naming the file and what is wrong. */
export function parseSwarmKey (bytes: Uint8Array, file: string): SwarmKey {
  const bad = (what: string): InvalidArgument =>
    new InvalidArgument(`swarm key file ${file} is malformed: ${what}; a key file is '${TAG}', '${CODEC}' and 64 hex characters on three lines ('ww key swarm' makes one)`)
  if (bytes.length > 1024) throw bad(`${bytes.length} bytes, more than a key file has`)
  const lines = Buffer.from(bytes).toString('utf8').split(/\r\n|\r|\n/).map(l => l.trim())
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  if (lines[0] !== TAG) throw bad(`its first line is not '${TAG}'`)
  if (lines[1] !== CODEC) {
    throw bad(/^\/(base64|bin)\/$/.test(lines[1] ?? '') ? `the ${lines[1]} encoding is not supported, only ${CODEC}` : `its second line is not '${CODEC}'`)
  }
  if (lines.length !== 3) throw bad(lines.length < 3 ? 'the key line is missing' : 'it has more than three lines')
  if (!/^[0-9a-fA-F]{64}$/.test(lines[2])) throw bad(`the key line is not 64 hex characters (${lines[2].length} characters)`)
  const psk = Buffer.from(lines[2], 'hex')
  return {
    file,
    encoded: new TextEncoder().encode(`${TAG}\n${CODEC}\n${lines[2].toLowerCase()}`),
    psk: new Uint8Array(psk),
    fingerprint: swarmKeyFingerprint(psk)
  }
}
