// Every command but `start` is a client of the node's API socket. This file must not load libp2p.
import { existsSync } from 'node:fs'
import { resolveHome, type Home } from '../src/host/home.js'
import { Connection } from '../src/rpc/index.js'
import { Disconnected } from '../src/errors.js'
import { HostClient } from '../src/schema/host.rpc.js'
import { connectUnix } from '../src/transport/index.js'
import { NoNode } from './exit-codes.js'

/** An open connection to a node's API socket and the owner's Host capability it bootstraps. */
export interface ApiConnection {
  home: Home
  conn: Connection
  host: HostClient
}

/** Connects to the API socket of the node at `homeFlag` (default $WW_HOME, else ~/.ww); NoNode when none runs there. */
export async function connectApi (homeFlag: string | undefined): Promise<ApiConnection> {
  const home = resolveHome(homeFlag)
  const start = homeFlag === undefined ? 'ww start' : `ww start --home ${homeFlag}`
  const noNode = new NoNode(`no ww node is running at ${home.dir}; start one with '${start}'`)
  if (!existsSync(home.apiSocket)) throw noNode
  let transport
  try {
    transport = await connectUnix(home.apiSocket)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ECONNREFUSED') throw noNode
    throw err
  }
  const conn = new Connection(transport, { name: 'cli' })
  return { home, conn, host: conn.bootstrap(HostClient) }
}

/** Connects to the node at `home`, runs `fn` with its Host capability, then disconnects. */
export async function withHost<T> (homeFlag: string | undefined, fn: (host: HostClient) => Promise<T>): Promise<T> {
  const { home, conn, host } = await connectApi(homeFlag)
  try {
    return await fn(host)
  } catch (err) {
    // The API connection itself ended (the node stopped or died), not some call through it.
    if (err instanceof Disconnected && conn.error !== undefined) {
      const why = conn.error.message.replace(/^peer aborted: (Disconnected: )?/, '')
      throw new Disconnected(`the ww node at ${home.dir} went away (${why})`)
    }
    throw err
  } finally {
    host.release()
    conn.close('done')
  }
}
