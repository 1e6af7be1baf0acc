// A heartbeat kept as the signed pubsub message its author published, so one host can hand the records it holds
// to another (table sync) and the receiver can check each against its author's key, exactly as gossipsub does:
// the signature covers "libp2p-pubsub:" + the protobuf message without its signature and key fields.
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto'
import { publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import type { SignedMessage } from '@libp2p/gossipsub'
import { RPC } from '@libp2p/gossipsub/message'
import type { PeerId, PublicKey } from '@libp2p/interface'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { concat } from 'uint8arrays/concat'
import { fromString } from 'uint8arrays/from-string'
import { toString } from 'uint8arrays/to-string'
import { InvalidArgument } from '../errors.js'
import { clusterLimits } from './limits.js'

const signPrefix = fromString('libp2p-pubsub:')

/** The wire form (gossipsub's RPC.Message protobuf) of a signed message. */
export function encodeSignedMessage (msg: SignedMessage): Uint8Array {
  const seqno = new Uint8Array(8)
  new DataView(seqno.buffer).setBigUint64(0, msg.sequenceNumber, false)
  return RPC.Message.encode({
    from: msg.from.toMultihash().bytes,
    data: msg.data,
    seqno,
    topic: msg.topic,
    signature: msg.signature,
    // An Ed25519 peer ID embeds its key: no need to repeat it.
    key: msg.from.publicKey !== undefined ? undefined : publicKeyToProtobuf(msg.key)
  })
}

/**
 * Decodes a signed message of `topic` and checks its signature; anything else is an InvalidArgument.
 * `wanted(author, seq)` is asked first: when it says no, the signature is not checked and the result is undefined.
 */
export async function verifySignedMessage (bytes: Uint8Array, topic: string, wanted: (author: string, seq: bigint) => boolean = () => true): Promise<SignedMessage | undefined> {
  let m: RPC.Message
  try {
    m = RPC.Message.decode(bytes)
  } catch (err: any) {
    throw new InvalidArgument(`malformed signed message: ${err?.message ?? String(err)}`)
  }
  if (m.topic !== topic) throw new InvalidArgument(`signed message for topic ${JSON.stringify(m.topic)}, expected ${topic}`)
  if (m.from == null || m.seqno?.byteLength !== 8 || m.signature == null) {
    throw new InvalidArgument('signed message lacks from, an 8-byte seqno or a signature')
  }
  let author: Author
  try {
    author = authorOf(m.from, m.key)
  } catch (err: any) {
    throw new InvalidArgument(`signed message with a bad author: ${err?.message ?? String(err)}`)
  }
  const sequenceNumber = new DataView(m.seqno.buffer, m.seqno.byteOffset, 8).getBigUint64(0, false)
  if (!wanted(author.name, sequenceNumber)) return undefined
  const data = m.data ?? new Uint8Array(0)
  const signed = concat([signPrefix, RPC.Message.encode({ from: m.from, data, seqno: m.seqno, topic: m.topic })])
  let valid = false
  try { valid = await author.verify(signed, m.signature) } catch { valid = false }
  if (!valid) throw new InvalidArgument(`bad signature on a message from ${author.name}`)
  const from = author.id
  const key = author.key
  return {
    type: 'signed',
    from,
    data,
    sequenceNumber,
    topic: m.topic,
    signature: m.signature,
    key
  }
}

/** A message author, parsed once: a table sync hands over the same authors again and again. */
interface Author {
  id: PeerId
  name: string
  key: PublicKey
  verify: (data: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>
}

// DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow.
const ed25519SpkiPrefix = Buffer.from('302a300506032b6570032100', 'hex')
const authors = new Map<string, Author>()

function authorOf (fromBytes: Uint8Array, keyBytes: Uint8Array | undefined): Author {
  if (keyBytes != null) return parseAuthor(fromBytes, keyBytes)
  const cacheKey = Buffer.from(fromBytes.buffer, fromBytes.byteOffset, fromBytes.byteLength).toString('latin1')
  let author = authors.get(cacheKey)
  if (author === undefined) {
    author = parseAuthor(fromBytes, undefined)
    if (authors.size >= clusterLimits.authorCacheSize) authors.delete(authors.keys().next().value!)
    authors.set(cacheKey, author)
  }
  return author
}

function parseAuthor (fromBytes: Uint8Array, keyBytes: Uint8Array | undefined): Author {
  const id = peerIdFromString(toString(fromBytes, 'base58btc'))
  const name = id.toString()
  if (keyBytes != null) {
    const key = publicKeyFromProtobuf(keyBytes)
    if (!peerIdFromPublicKey(key).equals(id)) throw new Error('key does not match the author')
    return { id, name, key, verify: async (data, sig) => await key.verify(data, sig) }
  }
  const key = id.publicKey
  if (key === undefined) throw new Error('no key for the author')
  if (key.type !== 'Ed25519') return { id, name, key, verify: async (data, sig) => await key.verify(data, sig) }
  // Verify with a key object made once: the generic path imports the key again for every signature.
  const keyObject: KeyObject = createPublicKey({ key: Buffer.concat([ed25519SpkiPrefix, key.raw]), format: 'der', type: 'spki' })
  return { id, name, key, verify: (data, sig) => verifySignature(null, data, keyObject, sig) }
}
