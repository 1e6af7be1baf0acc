import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2pEvents, Peer, PeerData, PeerId, PeerStore, TypedEventTarget } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { skipKnownProtocolMerges } from '../../src/cluster/known-protocols.js'

/** A peer store that keeps protocols only, and counts the merges that reach it. */
function countingStore (): { store: PeerStore, merges: () => number } {
  const entries = new Map<string, Peer>()
  let merges = 0
  const store = {
    async merge (id: PeerId, data: PeerData): Promise<Peer> {
      merges++
      const old = entries.get(id.toString())
      const peer = { id, protocols: [...new Set([...(old?.protocols ?? []), ...(data.protocols ?? [])])], addresses: [], metadata: new Map(), tags: new Map() } as unknown as Peer
      entries.set(id.toString(), peer)
      return peer
    },
    async delete (id: PeerId): Promise<void> { entries.delete(id.toString()) }
  } as unknown as PeerStore
  return { store, merges: () => merges }
}

describe("cluster: a stream's protocol recorded in the peer store", () => {
  it('reaches the store once per connected peer and protocol, and again after an update, a disconnect or a delete', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const { store, merges } = countingStore()
    const events = new EventTarget() as unknown as TypedEventTarget<Libp2pEvents>
    skipKnownProtocolMerges(store, events)

    assert.deepEqual((await store.merge(id, { protocols: ['/a'] })).protocols, ['/a'])
    assert.deepEqual((await store.merge(id, { protocols: ['/a'] })).protocols, ['/a'])
    assert.equal(merges(), 1, 'a protocol the entry lists already')
    assert.deepEqual((await store.merge(id, { protocols: ['/b'] })).protocols, ['/a', '/b'])
    await store.merge(id, { protocols: ['/a'], tags: { t: { value: 1 } } })
    assert.equal(merges(), 3, 'a new protocol, or more than a protocol')

    const lacking = { id, protocols: ['/b'] } as unknown as Peer
    events.dispatchEvent(new CustomEvent('peer:update', { detail: { peer: lacking } }))
    await store.merge(id, { protocols: ['/a'] })
    assert.equal(merges(), 4, 'the store reported an entry without it')

    events.dispatchEvent(new CustomEvent('peer:disconnect', { detail: id }))
    await store.merge(id, { protocols: ['/a'] })
    assert.equal(merges(), 5, 'after a disconnect')
    await store.delete(id)
    await store.merge(id, { protocols: ['/a'] })
    assert.equal(merges(), 6, 'after a delete')
    await store.merge(id, { protocols: ['/a'] })
    assert.equal(merges(), 6)
  })
})
