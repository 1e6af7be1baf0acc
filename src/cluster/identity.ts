// The node's Ed25519 key, kept in <home>/identity so the peer ID survives restarts.
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { InvalidArgument } from '../errors.js'

const log = logger('ww:cluster:identity')

export const identityFileName = 'identity'

/** The key at <home>/identity; created (mode 0600, home 0700) when absent. A corrupt file is an InvalidArgument. */
export async function loadOrCreateIdentity (home: string): Promise<PrivateKey> {
  await mkdir(home, { recursive: true, mode: 0o700 })
  const file = join(home, identityFileName)
  const existing = await readKey(file)
  if (existing !== undefined) return existing

  const key = await generateKeyPair('Ed25519')
  try {
    await writeFile(file, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
    await chmod(file, 0o600) // the umask may have narrowed the mode; never widened, but be explicit
    log('created identity %s', file)
    return key
  } catch (err: any) {
    if (err?.code !== 'EEXIST') throw err
    // Another process created it first: use theirs.
    const raced = await readKey(file)
    if (raced === undefined) throw new InvalidArgument(`identity key ${file} vanished while being created`)
    return raced
  }
}

async function readKey (file: string): Promise<PrivateKey | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (err: any) {
    if (err?.code === 'ENOENT') return undefined
    throw new InvalidArgument(`cannot read identity key ${file}: ${err?.message ?? String(err)}`)
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err: any) {
    throw new InvalidArgument(`identity key ${file} is corrupt (${err?.message ?? String(err)}); move it away to create a new identity`)
  }
}
