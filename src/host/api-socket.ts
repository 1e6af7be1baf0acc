// The local API: the Host capability on a unix socket, plain Cap'n Proto two-party RPC.
import { chmod, unlink } from 'node:fs/promises'
import type { Server } from 'node:net'
import { Connection } from '../rpc/index.js'
import type { Capability } from '../rpc/index.js'
import { listenUnix } from '../transport/index.js'

export interface ApiSocket { close: () => Promise<void> }

/**
 * Serves `bootstrap` on `path` (mode 0600). The caller must own the home directory (its pid lock),
 * so a socket file found there is stale and is replaced.
 */
export async function serveApiSocket (path: string, bootstrap: Capability): Promise<ApiSocket> {
  await unlink(path).catch(() => {})
  const conns = new Set<Connection>()
  const server: Server = await listenUnix(path, (transport) => {
    const c = new Connection(transport, { bootstrap, name: 'api' })
    conns.add(c)
    void c.closed.then(() => conns.delete(c))
  })
  await chmod(path, 0o600)
  return {
    async close () {
      await new Promise<void>(resolve => server.close(() => { resolve() }))
      for (const c of conns) c.close('node stopping')
      await unlink(path).catch(() => {})
    }
  }
}
