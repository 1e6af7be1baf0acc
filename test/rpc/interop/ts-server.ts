// Serves the interop Test from this process over a unix socket or TCP: a fresh TestImpl per connection.
import type { AddressInfo, Server } from 'node:net'
import { Connection } from '../../../src/rpc/index.js'
import { listen } from '../../../src/transport/index.js'
import { type Live, serveTest } from './ts-peer.js'
import { tap } from './wire-tap.js'

export interface TsTestServer {
  /** "unix:/path" or "127.0.0.1:port". */
  address: string
  connections: Set<Connection>
  /** The wire events of every connection accepted so far, in order of acceptance. */
  wire: string[][]
  close: () => Promise<void>
}

/** Listens on a unix socket path, or on TCP 127.0.0.1 when given { port } (0: any free port). */
/** `record: false` skips the wire tap (benchmarks: decoding every message costs time). */
export async function startTsTestServer (where: string | { port: number }, live: Live, record = true): Promise<TsTestServer> {
  const connections = new Set<Connection>()
  const wire: string[][] = []
  const server: Server = await listen(where, (raw) => {
    let transport = raw
    if (record) {
      const tapped = tap(raw)
      wire.push(tapped.events)
      transport = tapped.transport
    }
    const test = serveTest(live)
    const conn = new Connection(transport, { bootstrap: test, name: 'interop-server' })
    test.release()
    connections.add(conn)
    void conn.closed.then(() => { connections.delete(conn) })
  })
  const address = typeof where === 'string' ? `unix:${where}` : `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    address,
    connections,
    wire,
    close: async () => {
      for (const c of connections) c.close()
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    }
  }
}
