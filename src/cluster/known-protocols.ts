// libp2p records the protocol of every stream it opens or accepts in the peer store (connection.js:
// peerStore.merge(peer, { protocols: [protocol] })): a write lock, a datastore read, a protobuf decode and encode
// and a comparison, for every stream, though after a peer's first stream of a protocol the entry lists it already.
// While a cluster's connections open (SWIM, table sync, identify, gossipsub, kad-dht, deployments: a stream each
// way per connection), the peer store was ~9 % of a node's CPU. Here such a merge is answered from the entry as the
// store last reported it, while the peer is connected, when that lists the protocol: the store would not change.
import type { Libp2pEvents, PeerId, PeerStore, Peer, TypedEventTarget } from '@libp2p/interface'

export function skipKnownProtocolMerges (peerStore: PeerStore, events: TypedEventTarget<Libp2pEvents>): void {
  /** Connected peers' entries as the store last returned or reported them. */
  const known = new Map<string, Peer>()
  const merge = peerStore.merge.bind(peerStore)
  const remove = peerStore.delete.bind(peerStore)
  peerStore.merge = async (id, data, options) => {
    const one = data.protocols?.length === 1 && Object.keys(data).length === 1
    if (one) {
      const peer = known.get(id.toString())
      if (peer?.protocols.includes(data.protocols![0]) === true) return peer
    }
    const peer = await merge(id, data, options)
    // A stream's protocol: the peer is connected (the entry is dropped again when it disconnects).
    if (one) known.set(id.toString(), peer)
    return peer
  }
  peerStore.delete = async (id: PeerId, options) => {
    known.delete(id.toString())
    await remove(id, options)
  }
  events.addEventListener('peer:update', evt => {
    const key = evt.detail.peer.id.toString()
    if (known.has(key)) known.set(key, evt.detail.peer)
  })
  events.addEventListener('peer:disconnect', evt => { known.delete(evt.detail.toString()) })
}
