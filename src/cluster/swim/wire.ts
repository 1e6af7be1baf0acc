// The SWIM message codec. One message per datagram (a libp2p stream, or an in-memory hop in the simulation):
//
//   kind u8 | seq u32 | target (ping-req only) | updates: count u8, then each update
//   update: alive    1 | len u16 | signed record (the author's signed heartbeat, alive or leaving)
//           suspect  2 | peer | instance u64 | seq u64 | from
//           dead     3 | peer | instance u64 | seq u64 | from
//   peer, target, from: len u8 | UTF-8 peer ID
//
// Only records are signed (by the host they describe). Suspect and dead claims are not: they can only start or
// shorten a suspicion (suspicion.ts), which the suspected host refutes with a newer signed record.
import { InvalidArgument } from '../../errors.js'
import { clusterLimits } from '../limits.js'

/** nack: a relay's word that the member it pinged for a ping-req did not answer (Lifeguard: the prober is not the slow one). */
export type MessageKind = 'ping' | 'ack' | 'ping-req' | 'gossip' | 'nack'
const kindCodes: Record<MessageKind, number> = { ping: 1, ack: 2, 'ping-req': 3, gossip: 4, nack: 5 }
const kindNames: Array<MessageKind | undefined> = [undefined, 'ping', 'ack', 'ping-req', 'gossip', 'nack']

/** Which boot of a host (instance) and which of its signed records (seq): the SWIM incarnation. */
export interface Incarnation { instance: bigint, seq: bigint }

export type Update =
  | { type: 'alive', record: Uint8Array }
  | { type: 'suspect' | 'dead', peer: string, instance: bigint, seq: bigint, from: string }

export interface SwimMessage {
  kind: MessageKind
  /** Matches an ack to its ping (and a ping-req's ack to the request). */
  seq: number
  /** ping-req: the member to probe on the sender's behalf. */
  target?: string
  updates: Update[]
}

/** Bytes an update takes on the wire. */
export function updateBytes (u: Update): number {
  if (u.type === 'alive') return 3 + u.record.byteLength
  return 1 + 1 + Buffer.byteLength(u.peer) + 16 + 1 + Buffer.byteLength(u.from)
}

/** Bytes of a message without its updates. */
export function headerBytes (kind: MessageKind, target?: string): number {
  return 1 + 4 + (kind === 'ping-req' ? 1 + Buffer.byteLength(target ?? '') : 0) + 1
}

export function encodeMessage (m: SwimMessage): Uint8Array {
  if (m.updates.length > 255) throw new InvalidArgument('a SWIM message carries at most 255 updates')
  let size = headerBytes(m.kind, m.target)
  for (const u of m.updates) size += updateBytes(u)
  const buf = Buffer.allocUnsafe(size)
  let at = buf.writeUInt8(kindCodes[m.kind], 0)
  at = buf.writeUInt32BE(m.seq >>> 0, at)
  if (m.kind === 'ping-req') at = writePeer(buf, at, m.target ?? '')
  at = buf.writeUInt8(m.updates.length, at)
  for (const u of m.updates) {
    if (u.type === 'alive') {
      at = buf.writeUInt8(1, at)
      at = buf.writeUInt16BE(u.record.byteLength, at)
      buf.set(u.record, at)
      at += u.record.byteLength
    } else {
      at = buf.writeUInt8(u.type === 'suspect' ? 2 : 3, at)
      at = writePeer(buf, at, u.peer)
      at = buf.writeBigUInt64BE(u.instance, at)
      at = buf.writeBigUInt64BE(u.seq, at)
      at = writePeer(buf, at, u.from)
    }
  }
  return buf
}

/** Decodes a message; anything malformed or oversized is an InvalidArgument. */
export function decodeMessage (bytes: Uint8Array): SwimMessage {
  if (bytes.byteLength > clusterLimits.maxSwimMessageBytes) {
    throw new InvalidArgument(`SWIM message of ${bytes.byteLength} bytes exceeds maxSwimMessageBytes (${clusterLimits.maxSwimMessageBytes})`)
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  try {
    const kind = kindNames[buf.readUInt8(0)]
    if (kind === undefined) throw new Error(`unknown kind ${buf[0]}`)
    const seq = buf.readUInt32BE(1)
    let at = 5
    let target: string | undefined
    if (kind === 'ping-req') [target, at] = readPeer(buf, at)
    const n = buf.readUInt8(at++)
    const updates: Update[] = []
    for (let i = 0; i < n; i++) {
      const type = buf.readUInt8(at++)
      if (type === 1) {
        const len = buf.readUInt16BE(at)
        at += 2
        if (at + len > buf.byteLength) throw new Error('record runs past the end')
        updates.push({ type: 'alive', record: new Uint8Array(bytes.subarray(at, at + len)) })
        at += len
      } else if (type === 2 || type === 3) {
        let peer: string, from: string
        [peer, at] = readPeer(buf, at)
        const instance = buf.readBigUInt64BE(at)
        const s = buf.readBigUInt64BE(at + 8)
        at += 16;
        [from, at] = readPeer(buf, at)
        updates.push({ type: type === 2 ? 'suspect' : 'dead', peer, instance, seq: s, from })
      } else {
        throw new Error(`unknown update type ${type}`)
      }
    }
    if (at !== buf.byteLength) throw new Error(`${buf.byteLength - at} bytes after the last update`)
    return { kind, seq, target, updates }
  } catch (err: any) {
    throw new InvalidArgument(`malformed SWIM message: ${err?.message ?? String(err)}`)
  }
}

function writePeer (buf: Buffer, at: number, peer: string): number {
  const len = buf.write(peer, at + 1, 'utf8')
  buf.writeUInt8(len, at)
  return at + 1 + len
}

function readPeer (buf: Buffer, at: number): [string, number] {
  const len = buf.readUInt8(at)
  if (len === 0) throw new Error('empty peer ID')
  if (at + 1 + len > buf.byteLength) throw new Error('peer ID runs past the end')
  return [buf.toString('utf8', at + 1, at + 1 + len), at + 1 + len]
}
