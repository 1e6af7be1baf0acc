// Signs this host's membership record: its heartbeat (heartbeat.ts) wrapped in the signed pubsub message format
// that signed-heartbeat.ts verifies, so a record is checked the same way wherever it comes from (SWIM gossip,
// table sync). The message's sequence number is the record's seq: with the heartbeat's instance, its incarnation.
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RPC } from '@libp2p/gossipsub/message'
import { concat } from 'uint8arrays/concat'
import { fromString } from 'uint8arrays/from-string'
import type { Heartbeat, HeartbeatCodec } from './heartbeat.js'

const signPrefix = fromString('libp2p-pubsub:')

export class RecordSigner {
  private readonly from: Uint8Array

  constructor (private readonly key: PrivateKey, private readonly topic: string, private readonly codec: HeartbeatCodec) {
    this.from = peerIdFromPrivateKey(key).toMultihash().bytes
  }

  /** The signed record of `hb` with sequence number `seq`. */
  async sign (hb: Heartbeat, seq: bigint): Promise<Uint8Array> {
    const data = this.codec.encode(hb)
    const seqno = new Uint8Array(8)
    new DataView(seqno.buffer).setBigUint64(0, seq, false)
    const { from, topic } = this
    const signature = await this.key.sign(concat([signPrefix, RPC.Message.encode({ from, data, seqno, topic })]))
    return RPC.Message.encode({ from, data, seqno, topic, signature })
  }
}
