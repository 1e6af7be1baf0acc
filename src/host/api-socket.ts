// The local API: the Host capability on a unix socket, plain Cap'n Proto two-party RPC.
import { chmod, unlink } from 'node:fs/promises'
import type { Server, Socket } from 'node:net'
import { Connection } from '../rpc/index.js'
import type { Capability } from '../rpc/index.js'
import type { NodeMetrics } from './node-metrics.js'
import { listenUnix } from '../transport/index.js'
import { hostLimits } from './limits.js'

export interface ApiSocket {
  /**
   * Stops accepting, ends every connection (their pending calls fail Disconnected with `reason`) and removes the
   * socket file. Resolves within apiCloseGraceMs, whatever clients do: a socket not closed by then is destroyed.
   */
  close: (reason: string) => Promise<void>
}

/**
 * Serves `bootstrap` on `path` (mode 0600). The caller must own the home directory (its pid lock),
 * so a socket file found there is stale and is replaced.
 */
export async function serveApiSocket (path: string, bootstrap: Capability, metrics?: NodeMetrics): Promise<ApiSocket> {
  await unlink(path).catch(() => {})
  const conns = new Set<Connection>()
  const sockets = new Set<Socket>()
  const server: Server = await listenUnix(path, (transport) => {
    if (conns.size >= hostLimits.apiConnectionsMax) {
      // told why, not just hung up on: the client's command prints the reason
      new Connection(transport, { name: 'api' }).close(`it already holds ${hostLimits.apiConnectionsMax} API connections (apiConnectionsMax); retry once some have closed`)
      return
    }
    const c = new Connection(transport, { bootstrap, name: 'api', observer: metrics?.calls })
    metrics?.track('api', c)
    conns.add(c)
    void c.closed.then(() => conns.delete(c))
  })
  // The server's own close waits for every connection: a client that never hangs up would hold the node forever.
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await chmod(path, 0o600)
  return {
    async close (reason) {
      server.close()
      await unlink(path).catch(() => {})
      for (const c of conns) c.close(reason)
      if (sockets.size > 0) {
        await new Promise<void>(resolve => {
          const timer = setTimeout(resolve, hostLimits.apiCloseGraceMs)
          const check = (): void => { if (sockets.size === 0) { clearTimeout(timer); resolve() } }
          for (const s of sockets) s.once('close', () => { queueMicrotask(check) })
        })
      }
      for (const s of sockets) s.destroy()
    }
  }
}
