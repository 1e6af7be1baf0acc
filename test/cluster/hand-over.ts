// Plays one side of a table sync by hand, as a hostile peer would: writes the given signed records (each with the
// age it claims) to `to`, reads `to`'s table back and closes, so `to` has applied every record when this returns.
import { setMaxListeners } from 'node:events'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { RPC } from '@libp2p/gossipsub/message'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { concat } from 'uint8arrays/concat'
import { fromString } from 'uint8arrays/from-string'
import { encodeHeartbeat } from '../../src/caps/heartbeat.js'
import { clusterTopic, syncProtocol, type ClusterNode, type Heartbeat } from '../../src/cluster/index.js'

export interface Handed { ageMs: number, message: Uint8Array }

/** Where to hand records over: a node's address (with /p2p/) and its cluster namespace. */
export interface SyncTarget { addr: string, namespace: string }

export function targetOf (node: ClusterNode): SyncTarget {
  return { addr: node.addrs()[0], namespace: node.namespace }
}

/** Sends `records` to `to` over `from`'s libp2p; returns how many records `to` sent back. */
export async function handOver (from: ClusterNode, to: SyncTarget, records: Iterable<Handed>): Promise<number> {
  const stream = await from.libp2p.dialProtocol(multiaddr(to.addr), syncProtocol(to.namespace), { signal: AbortSignal.timeout(60_000) })
  const lp = lpStream(stream, { maxDataLength: 1 << 20 })
  const signal = AbortSignal.timeout(120_000)
  setMaxListeners(Infinity, signal) // every pending write listens to it
  const reading = (async () => {
    let n = 0
    while ((await lp.read({ signal })).byteLength > 0) n++
    return n
  })()
  for (const r of records) {
    const frame = new Uint8Array(4 + r.message.byteLength)
    new DataView(frame.buffer).setUint32(0, r.ageMs, false)
    frame.set(r.message, 4)
    await lp.write(frame, { signal })
  }
  await lp.write(new Uint8Array(0), { signal })
  const received = await reading
  await stream.close({ signal })
  // The other side closes its end once it has applied every record (reading past its empty frame ends there).
  await lp.read({ signal }).then(() => { throw new Error('table sync: more frames after the empty one') }, (err: Error) => {
    if (err.name !== 'UnexpectedEOFError') throw err
  })
  return received
}

/** A pubsub message on `namespace`'s cluster topic by `author`, signed the way gossipsub signs (by `signer`: forged unless it is the author's key). */
export async function signHeartbeat (namespace: string, author: PeerId, hb: Heartbeat, seq: bigint, signer: PrivateKey): Promise<Uint8Array> {
  const topic = clusterTopic(namespace)
  const from = author.toMultihash().bytes
  const data = encodeHeartbeat(hb)
  const seqno = new Uint8Array(8)
  new DataView(seqno.buffer).setBigUint64(0, seq, false)
  const signature = await signer.sign(concat([fromString('libp2p-pubsub:'), RPC.Message.encode({ from, data, seqno, topic })]))
  return RPC.Message.encode({ from, data, seqno, topic, signature })
}

/** A fresh, validly self-signed heartbeat of a new host that does not exist; its peer ID and the record. */
export async function fakeHost (namespace: string, hostname: string, over: Partial<Heartbeat> = {}): Promise<{ peer: string, message: Uint8Array }> {
  const key = await generateKeyPair('Ed25519')
  const hb: Heartbeat = { instance: 1n, hostname, meta: [], ttlMs: 60_000, addrs: [], leaving: false, issuedAtMs: Date.now(), ...over }
  return { peer: peerIdFromPrivateKey(key).toString(), message: await signHeartbeat(namespace, peerIdFromPrivateKey(key), hb, 1n, key) }
}
