// A heartbeat kept as the signed pubsub message its author published, so one host can hand the records it holds
// to another (table sync) and the receiver can check each against its author's key, exactly as gossipsub does:
// the signature covers "libp2p-pubsub:" + the protobuf message without its signature and key fields.
import { publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import type { SignedMessage } from '@libp2p/gossipsub'
import { RPC } from '@libp2p/gossipsub/message'
import type { PeerId, PublicKey } from '@libp2p/interface'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { concat } from 'uint8arrays/concat'
import { fromString } from 'uint8arrays/from-string'
import { toString } from 'uint8arrays/to-string'
import { InvalidArgument } from '../errors.js'

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
  let from: PeerId
  let key: PublicKey
  try {
    from = peerIdFromString(toString(m.from, 'base58btc'))
    if (m.key != null) {
      key = publicKeyFromProtobuf(m.key)
      if (!peerIdFromPublicKey(key).equals(from)) throw new Error('key does not match the author')
    } else if (from.publicKey !== undefined) {
      key = from.publicKey
    } else {
      throw new Error('no key for the author')
    }
  } catch (err: any) {
    throw new InvalidArgument(`signed message with a bad author: ${err?.message ?? String(err)}`)
  }
  const sequenceNumber = new DataView(m.seqno.buffer, m.seqno.byteOffset, 8).getBigUint64(0, false)
  if (!wanted(from.toString(), sequenceNumber)) return undefined
  const data = m.data ?? new Uint8Array(0)
  const signed = concat([signPrefix, RPC.Message.encode({ from: m.from, data, seqno: m.seqno, topic: m.topic })])
  let valid = false
  try { valid = await key.verify(signed, m.signature) } catch { valid = false }
  if (!valid) throw new InvalidArgument(`bad signature on a message from ${from.toString()}`)
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
