// What the web console's page and the node agree on for the WebSocket at /rpc (browser-safe: the page imports it).
// The token, from the URL's fragment, travels as a second subprotocol; the server answers with CAPNP_SUBPROTOCOL only.

/** The subprotocol of the console's WebSocket: Cap'n Proto stream framing in binary messages. */
export const CAPNP_SUBPROTOCOL = 'ww-capnp'
/** The prefix of the subprotocol that carries the token: `ww-token.<hex>`. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'ww-token.'
/** The path of the WebSocket. */
export const RPC_PATH = '/rpc'
