// A bare libp2p node on 127.0.0.1 (TCP, noise, yamux: a cluster node's stack; with a swarm key, its
// protector too) for tests and benchmarks that need a real libp2p stream but no cluster. Loopback is
// exempt from the inbound connection rate limits.
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { batchedNoise, type SwarmKey } from '../src/cluster/index.js'
import { swarmKeyProtector } from '../src/cluster/private-network.js'

export async function loopbackNode (swarmKey?: SwarmKey): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    ...(swarmKey !== undefined ? { connectionProtector: swarmKeyProtector(swarmKey, () => {}) } : {}),
    connectionEncrypters: [batchedNoise()],
    streamMuxers: [yamux()],
    connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] }
  })
}
