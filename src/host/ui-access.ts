// Who may reach the web console: the token made at each start, and the checks every request passes before any
// RPC. The token travels in the URL's fragment (never sent in a request, so never in a server log or a Referer);
// the page hands it over as a WebSocket subprotocol, `ww-token.<token>`, beside `ww-capnp`, the one the server picks.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { IncomingMessage } from 'node:http'
import { hostLimits } from './limits.js'
import { CAPNP_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from './ui-protocol.js'

/** A random token, hex. */
export function makeUiToken (): string {
  return randomBytes(hostLimits.uiTokenBytes).toString('hex')
}

function sameToken (given: string, token: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Why a request may not go on, or undefined when it may. The Host header must name the node by IP address or as
 * localhost: a DNS name is refused, so a page whose name was rebound to this address (DNS rebinding) gets nothing.
 */
export function refusedHost (req: IncomingMessage): string | undefined {
  const host = req.headers.host
  if (host === undefined) return 'no Host header'
  let hostname: string
  try {
    hostname = new URL(`http://${host}`).hostname
  } catch {
    return 'a malformed Host header'
  }
  const bare = hostname.replace(/^\[(.*)\]$/, '$1')
  if (bare === 'localhost' || isIP(bare) !== 0) return undefined
  return 'a Host header that is not an IP address or localhost'
}

/** Why a WebSocket upgrade may not go on: it must come from the console's own page (Origin) and carry the token. */
export function refusedUpgrade (req: IncomingMessage, token: string): string | undefined {
  const host = refusedHost(req)
  if (host !== undefined) return host
  const origin = req.headers.origin
  if (origin !== `http://${req.headers.host}`) return `Origin ${origin === undefined ? '(none)' : JSON.stringify(origin)} is not the console's own`
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map(p => p.trim())
  if (!offered.includes(CAPNP_SUBPROTOCOL)) return `no ${CAPNP_SUBPROTOCOL} subprotocol`
  const given = offered.find(p => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))?.slice(TOKEN_SUBPROTOCOL_PREFIX.length)
  if (given === undefined || !sameToken(given, token)) return 'a missing or wrong token'
  return undefined
}

/** Why a plain HTTP request to a route behind the token may not go on: it carries `Authorization: Bearer <token>`. */
export function refusedBearer (req: IncomingMessage, token: string): string | undefined {
  const host = refusedHost(req)
  if (host !== undefined) return host
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')
  if (m === null || !sameToken(m[1], token)) return 'a missing or wrong token (Authorization: Bearer <token>)'
  return undefined
}
