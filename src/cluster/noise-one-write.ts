// @chainsafe/libp2p-noise hands each encrypted message to the connection as two buffers (its
// 2-byte length, then the ciphertext), and @libp2p/tcp writes each buffer to the socket on its own:
// with TCP_NODELAY that is two segments, and often two wake-ups of the far side, per message.
// Here the connection noise writes to joins the buffers of each send first: one write per message.
import { noise, type NoiseInit } from '@chainsafe/libp2p-noise'
import type { MessageStream } from '@libp2p/interface'

/** noise(), writing each encrypted message to the connection in one piece. */
export function noiseOneWrite (init?: NoiseInit): ReturnType<typeof noise> {
  const factory = noise(init)
  return (components) => {
    const encrypter = factory(components)
    const inbound = encrypter.secureInbound.bind(encrypter)
    const outbound = encrypter.secureOutbound.bind(encrypter)
    encrypter.secureInbound = async (connection, options) => await inbound(joinWrites(connection), options)
    encrypter.secureOutbound = async (connection, options) => await outbound(joinWrites(connection), options)
    return encrypter
  }
}

/** Makes `connection.send` join a list of buffers into one before sending it. */
function joinWrites<S extends MessageStream> (connection: S): S {
  const send = connection.send.bind(connection)
  connection.send = (data) => send(data instanceof Uint8Array ? data : data.subarray())
  return connection
}
