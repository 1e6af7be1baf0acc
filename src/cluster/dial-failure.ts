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

export function dialFailure (err: unknown): string {
  const e = err as { name?: string, code?: string, message?: string, errors?: unknown[] }
  if (e?.code !== undefined && byCode[e.code] !== undefined) return byCode[e.code]
  if (Array.isArray(e?.errors) && e.errors.length > 0) return dialFailure(e.errors[0])
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return 'timed out'
  const message = String(e?.message ?? err).split('\n')[0].replace(/^connection error [^ ]+: /, '')
  if (e?.name === 'EncryptionFailedError' || e?.name === 'UnexpectedPeerError' || e?.name === 'InvalidCryptoExchangeError') {
    return `encryption handshake failed (${message}): not a ww node, or not the peer ID given`
  }
  return message
}
