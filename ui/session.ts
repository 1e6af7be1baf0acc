// The page's one connection to its node: a WebSocket to /rpc carrying Cap'n Proto, whose bootstrap is the node's
// Host (the same capability as the API socket). The token comes from the URL's fragment and leaves only as a
// WebSocket subprotocol.
import { Connection } from '../src/rpc/index.js'
import { HostClient } from '../src/schema/host.rpc.js'
import { websocketTransport } from '../src/transport/websocket.js'
import { CAPNP_SUBPROTOCOL, RPC_PATH, TOKEN_SUBPROTOCOL_PREFIX } from '../src/host/ui-protocol.js'

export interface Session {
  host: HostClient
  conn: Connection
}

/** The token in the page's fragment (#token=...), or undefined. */
export function tokenFromFragment (hash: string): string | undefined {
  const m = /(?:^#|&)token=([0-9a-f]+)(?:&|$)/.exec(hash)
  return m === null ? undefined : m[1]
}

/** Opens the WebSocket; rejects when the node refuses it (wrong token, foreign Origin) or cannot be reached. */
export async function openSession (token: string): Promise<Session> {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const ws = new WebSocket(`${scheme}://${location.host}${RPC_PATH}`, [CAPNP_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token])
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => { resolve() }
    ws.onerror = () => { reject(new Error('the node refused the console\'s connection: open the URL that `ww ui` prints (the token changes at every start)')) }
  })
  ws.onopen = null
  ws.onerror = null
  const conn = new Connection(websocketTransport(ws), { name: 'ui' })
  return { conn, host: conn.bootstrap(HostClient) }
}
