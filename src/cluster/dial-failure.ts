// Why a dial failed, in a few words a user can act on (libp2p's messages name its internals).

const byCode: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is a node listening there?)',
  ECONNRESET: 'connection reset by the other side',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed for now',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out'
}

/** `privateCluster`: this node has a swarm key, so a peer that fails the handshake may have none or another. */
export function dialFailure (err: unknown, privateCluster = false): string {
  const e = err as { name?: string, code?: string, message?: string, errors?: unknown[] }
  if (e?.code !== undefined && byCode[e.code] !== undefined) {
    // A private node resets a connection whose first bytes fail its key check.
    return privateCluster && e.code === 'ECONNRESET' ? `${byCode[e.code]}: the peer may have no swarm key, or another one` : byCode[e.code]
  }
  if (Array.isArray(e?.errors) && e.errors.length > 0) return dialFailure(e.errors[0], privateCluster)
  if (e?.name === 'SwarmKeyMismatch') return e.message ?? 'the peer failed the swarm key check'
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return 'timed out'
  const message = String(e?.message ?? err).split('\n')[0].replace(/^connection error [^ ]+: /, '')
  if (e?.name === 'EncryptionFailedError' || e?.name === 'UnexpectedPeerError' || e?.name === 'InvalidCryptoExchangeError') {
    return privateCluster
      ? `encryption handshake failed (${message}): the peer has no swarm key or another one, is not a ww node, or is not the peer ID given`
      : `encryption handshake failed (${message}): not a ww node, a private cluster (swarm key) this node is not part of, or not the peer ID given`
  }
  return message
}
