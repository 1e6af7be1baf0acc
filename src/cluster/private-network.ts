// Every connection of a private cluster goes through libp2p's pre-shared-key protector (@libp2p/pnet: the two
// sides swap nonces, then XSalsa20 under the swarm key covers every byte, the noise handshake included).
// The PSK protocol has no key confirmation: a peer with another key, or none, swaps nonces fine and then sends
// what decrypts to noise. So the first bytes each side sends, always the multistream-select header
// "\x13/multistream/1.0.0\n" on a libp2p connection, are the check: any other first bytes mean the key differs,
// and the connection is aborted there with SwarmKeyMismatch (and the node told), instead of failing later in
// protocol negotiation with a message about garbage.
import type { ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface'
import { preSharedKey } from '@libp2p/pnet'
import { WwError } from '../errors.js'
import type { SwarmKey } from './swarm-key.js'

const FIRST_BYTES = new TextEncoder().encode('\x13/multistream/1.0.0\n')

/** A connection whose peer does not hold this node's swarm key. */
export class SwarmKeyMismatch extends WwError {
  constructor () { super('the peer failed the swarm key check (it has no swarm key, or another one)') }
}

/** Told of a connection that failed the key check: its remote address, and the peer ID when we dialed one. */
export type KeyCheckFailed = (remote: string, direction: 'inbound' | 'outbound', peer?: string) => void

export function swarmKeyProtector (key: SwarmKey, onMismatch: KeyCheckFailed): () => ConnectionProtector {
  const factory = preSharedKey({ psk: key.encoded })
  return () => {
    const pnet = factory()
    return {
      [Symbol.toStringTag]: 'ww/swarm-key',
      async protect (connection: MessageStream, options) {
        const boxed = await pnet.protect(connection, options)
        checkFirstBytes(boxed, () => {
          // The upgrader protects TCP's connection, a MultiaddrConnection.
          const remote = (connection as MultiaddrConnection).remoteAddr
          const peer = remote?.getComponents().findLast(c => c.name === 'p2p')?.value
          onMismatch(remote?.toString() ?? 'an unknown address', connection.direction, peer)
        })
        return boxed
      }
    }
  }
}

/**
 * Watches the first decrypted bytes of `boxed` and aborts it if they are not the multistream header. They reach
 * the box through its onData, which pnet's box calls with what it decrypted; bytes that came with the peer's nonce
 * were decrypted before protect() returned and wait in the box's read buffer (nothing reads it yet), so those
 * are checked first.
 */
function checkFirstBytes (boxed: MessageStream, mismatch: () => void): void {
  type Chunk = Uint8Array | { subarray: () => Uint8Array }
  const box = boxed as unknown as { onData: (data: Chunk) => void, readBuffer?: { byteLength: number, subarray: () => Uint8Array } }
  if (typeof box.onData !== 'function' || box.readBuffer === undefined) throw new Error('@libp2p/pnet changed: its connection has no onData or readBuffer to check')
  let seen = 0
  /** False once the bytes differ from the header (the connection is aborted then). */
  const check = (chunk: Chunk): boolean => {
    if (seen >= FIRST_BYTES.length) return true
    const data = chunk instanceof Uint8Array ? chunk : chunk.subarray()
    const n = Math.min(data.length, FIRST_BYTES.length - seen)
    for (let i = 0; i < n; i++) {
      if (data[i] !== FIRST_BYTES[seen + i]) {
        seen = Infinity
        mismatch()
        boxed.abort(new SwarmKeyMismatch())
        return false
      }
    }
    seen += n
    return true
  }
  if (box.readBuffer.byteLength > 0 && !check(box.readBuffer.subarray())) return
  const onData = box.onData.bind(box)
  box.onData = (chunk) => { if (check(chunk)) onData(chunk) }
}
