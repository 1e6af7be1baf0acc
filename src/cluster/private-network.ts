// Every connection of a private cluster is protected with the swarm key, as libp2p's pre-shared-key protector
// (the pnet spec, which @libp2p/pnet and go-libp2p implement) does: each side sends a random 24-byte nonce, then
// every byte it sends, the noise handshake included, is XORed with the XSalsa20 stream of (swarm key, its nonce).
//
// @libp2p/pnet does this with a second message stream stacked on the transport's connection, so each chunk passes
// two stream layers (buffers, events) each way. Here the transport's connection itself is sealed: what is sent is
// encrypted on its way into the connection's send(), what arrives is decrypted on its way into onData(), and the
// same connection is handed on. The wire format is unchanged (test/cluster/swarm-key.test.ts connects to a stock
// @libp2p/pnet node).
//
// The PSK protocol has no key confirmation: a peer with another key, or none, swaps nonces fine and then sends
// what decrypts to noise. So the first bytes each side sends, always the multistream-select header
// "\x13/multistream/1.0.0\n" on a libp2p connection, are the check: any other first bytes mean the key differs,
// and the connection is aborted there with SwarmKeyMismatch (and the node told), instead of failing later in
// protocol negotiation with a message about garbage.
import { randomBytes } from 'node:crypto'
import type { AbortOptions, ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface'
import { byteStream } from '@libp2p/utils'
import { WwError } from '../errors.js'
import { clusterLimits } from './limits.js'
import type { SwarmKey } from './swarm-key.js'
import { XSalsa20Stream } from './salsa20.js'

const NONCE_BYTES = 24
const FIRST_BYTES = new TextEncoder().encode('\x13/multistream/1.0.0\n')

/** A connection whose peer does not hold this node's swarm key. */
export class SwarmKeyMismatch extends WwError {
  constructor () { super('the peer failed the swarm key check (it has no swarm key, or another one)') }
}

/** Told of a connection that failed the key check: its remote address, and the peer ID when we dialed one. */
export type KeyCheckFailed = (remote: string, direction: 'inbound' | 'outbound', peer?: string) => void

export function swarmKeyProtector (key: SwarmKey, onMismatch: KeyCheckFailed): () => ConnectionProtector {
  return () => ({
    [Symbol.toStringTag]: 'ww/swarm-key',
    async protect (connection: MessageStream, options?: AbortOptions) {
      const localNonce = randomBytes(NONCE_BYTES)
      const signal = options?.signal ?? AbortSignal.timeout(clusterLimits.nonceExchangeTimeoutMs)
      const bytes = byteStream(connection)
      const [remoteNonce] = await Promise.all([
        bytes.read({ bytes: NONCE_BYTES, signal }),
        bytes.write(localNonce, { signal })
      ])
      bytes.unwrap()
      seal(connection, new XSalsa20Stream(key.psk, localNonce), new XSalsa20Stream(key.psk, remoteNonce.subarray()), () => {
        // The upgrader protects the transport's connection, a MultiaddrConnection.
        const remote = (connection as MultiaddrConnection).remoteAddr
        const peer = remote?.getComponents().findLast(c => c.name === 'p2p')?.value
        onMismatch(remote?.toString() ?? 'an unknown address', connection.direction, peer)
      })
      return connection
    }
  })
}

/** What seal() uses of the transport's connection (an AbstractMessageStream of @libp2p/utils, as TCP's is). */
interface Sealable {
  send: (data: Chunks) => boolean
  onData: (data: Chunks) => void
  readBuffer: { byteLength: number, subarray: () => Uint8Array, consume: (n: number) => void, append: (data: Uint8Array) => void }
}

/** A Uint8Array, or a list of them (Uint8ArrayList) with its total length. */
type Chunks = Uint8Array | { byteLength: number, [Symbol.iterator]: () => Iterator<Uint8Array> }

/** `data` XORed with the stream's next bytes, into one new array. */
function xorChunks (stream: XSalsa20Stream, data: Chunks): Uint8Array {
  return data instanceof Uint8Array ? stream.xor(data) : stream.xorChunks(data, data.byteLength)
}

/**
 * From now on, encrypts what is sent on `connection` and decrypts what it receives, and aborts it with
 * SwarmKeyMismatch (after calling `mismatch`) if the first bytes received do not decrypt to the multistream header.
 * Bytes that came with the peer's nonce wait, undelivered, in the connection's read buffer: they are decrypted first.
 * Every byte goes through send() on its way out and onData() on its way in, in order, so each direction's keystream
 * stays in step with the peer's.
 */
function seal (connection: MessageStream, outbound: XSalsa20Stream, inbound: XSalsa20Stream, mismatch: () => void): void {
  const conn = connection as unknown as Sealable
  if (typeof conn.onData !== 'function' || typeof conn.readBuffer?.consume !== 'function') {
    throw new Error('the transport connection has no onData or readBuffer to protect')
  }
  let checked = 0
  /** False once the first bytes differ from the header (the connection is aborted then). */
  const check = (plain: Uint8Array): boolean => {
    const n = Math.min(plain.length, FIRST_BYTES.length - checked)
    for (let i = 0; i < n; i++) {
      if (plain[i] !== FIRST_BYTES[checked + i]) {
        checked = Infinity
        mismatch()
        connection.abort(new SwarmKeyMismatch())
        return false
      }
    }
    checked += n
    return true
  }
  /** The plaintext of `data`, or nothing once the key check has failed. */
  const decrypt = (data: Chunks): Uint8Array | undefined => {
    if (checked === Infinity) return undefined
    const plain = xorChunks(inbound, data)
    return checked < FIRST_BYTES.length && !check(plain) ? undefined : plain
  }
  const pending = conn.readBuffer
  if (pending.byteLength > 0) {
    const cipher = pending.subarray()
    pending.consume(pending.byteLength)
    const plain = decrypt(cipher)
    if (plain !== undefined) pending.append(plain)
  }
  const onData = conn.onData.bind(conn)
  conn.onData = (data) => {
    const plain = decrypt(data)
    if (plain !== undefined) onData(plain)
  }
  const send = conn.send.bind(conn)
  conn.send = (data) => send(xorChunks(outbound, data))
}
