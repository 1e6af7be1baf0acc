// What libp2p writes to a TCP connection in one turn of the event loop leaves in one write.
// @chainsafe/libp2p-noise hands each encrypted message to the connection as two buffers (its
// 2-byte length, then the ciphertext), yamux sends a window update for every data frame it
// receives, before the reply to it, and @libp2p/tcp writes each buffer to the socket at once: with
// TCP_NODELAY, a call and its answer cost four to eight segments, each a wake-up of the far side.
// Here the socket is corked from its first write in a turn until the turn's end (setImmediate,
// after this turn's I/O callbacks and promise jobs), when Node writes all of it in one writev.
// And on the way in: noise reads a message's 2-byte length with a decoder that throws a RangeError
// when fewer than 2 bytes are left, which happens at the end of every chunk received; the error's
// stack trace costs more than decrypting a small chunk. Each connection gets one that does not throw.
import net from 'node:net'
import { noise, type NoiseInit } from '@chainsafe/libp2p-noise'
import type { MessageStream } from '@libp2p/interface'
import { nodeNoiseCrypto } from './noise-crypto.js'

/** Told of an inbound connection whose handshake failed: its remote address and the error. */
export type HandshakeFailed = (remote: string, err: Error) => void

/** noise() with node:crypto's primitives (noise-crypto.ts), over a connection whose writes of one event-loop turn leave together. */
export function batchedNoise (init?: NoiseInit, onInboundFailure?: HandshakeFailed): ReturnType<typeof noise> {
  const factory = noise({ crypto: nodeNoiseCrypto, ...init })
  return (components) => {
    const encrypter = factory(components)
    const inbound = encrypter.secureInbound.bind(encrypter)
    const outbound = encrypter.secureOutbound.bind(encrypter)
    encrypter.secureInbound = async (connection, options) => {
      try {
        return quietLengths(await inbound(batchWrites(connection), options))
      } catch (err) {
        const remote = (connection as { remoteAddr?: { toString: () => string } }).remoteAddr?.toString() ?? 'an unknown address'
        onInboundFailure?.(remote, err as Error)
        throw err
      }
    }
    encrypter.secureOutbound = async (connection, options) => quietLengths(await outbound(batchWrites(connection), options))
    return encrypter
  }
}

/**
 * Corks the socket of @libp2p/tcp's connection per turn (its public `socket` field). Any other
 * connection is left as it is (test/cluster/batched-noise.test.ts fails if TCP's stops batching).
 */
function batchWrites<S extends MessageStream> (connection: S): S {
  // In a private cluster too: the swarm key protector seals TCP's connection itself (private-network.ts).
  const socket = (connection as { socket?: unknown }).socket
  if (socket instanceof net.Socket) corkPerTurn(socket)
  return connection
}

function corkPerTurn (socket: net.Socket): void {
  const write = socket.write
  let corked = false
  const uncork = (): void => { corked = false; socket.uncork() }
  socket.write = function (this: net.Socket, ...args: Parameters<typeof write>) {
    if (!corked && this.writable) {
      corked = true
      this.cork()
      setImmediate(uncork)
    }
    return write.apply(this, args)
  } as typeof write
}

/** A length this large (more than a noise message can be) makes the decoder wait for more bytes. */
const WAIT_FOR_MORE = 0x10000

interface Bytes { length: number, getUint16: (at: number) => number }

/** A noise message's length prefix (big-endian 16 bits); WAIT_FOR_MORE when its 2 bytes are not all in yet. */
function noiseLength (data: Uint8Array | Bytes): number {
  if (data.length < 2) return WAIT_FOR_MORE
  return data instanceof Uint8Array ? (data[0] << 8) | data[1] : data.getUint16(0)
}

/**
 * Gives the encrypted connection (noise's, with its LengthPrefixedDecoder in the public field
 * `decoder`) the length decoder above, which has the same answers but never throws. A connection
 * of another shape is left as it is (test/cluster/batched-noise.test.ts fails then).
 */
function quietLengths<T extends { connection: unknown }> (secured: T): T {
  const decoder = (secured.connection as { decoder?: { lengthDecoder?: unknown } }).decoder
  if (typeof decoder?.lengthDecoder === 'function') decoder.lengthDecoder = noiseLength
  return secured
}
