// Round trips of a trivial call (Host.info, filling one short text field) over Cap'n Proto RPC (src/rpc) on one
// libp2p stream (src/transport libp2pTransport), one connection reused: compared with the raw stream echo.
import type { Libp2p } from '@libp2p/interface'
import { Unimplemented } from '../../src/errors.js'
import { Connection } from '../../src/rpc/index.js'
import { HostClient } from '../../src/schema/host.rpc.js'
import { libp2pTransport } from '../../src/transport/index.js'
import type { TimedOp } from './raw-echo.js'

export const rpcBenchProtocol = '/ww/bench/rpc/1.0.0'

/** One trivial call over RPC on a libp2p stream from a to b; `close` ends it. */
export async function libp2pRpcCall (a: Libp2p, b: Libp2p): Promise<TimedOp> {
  const no = (): never => { throw new Unimplemented('not in this benchmark') }
  const host = HostClient.serve({
    info (_params, results) { results._initInfo().peer = 'bench' },
    root: no, local: no, cluster: no, executor: no, pubsub: no, peer: no, stop: no, connect: no, deployments: no, metrics: no, endpoints: no
  })
  const served: Connection[] = []
  await b.handle(rpcBenchProtocol, (stream) => {
    served.push(new Connection(libp2pTransport(stream), { bootstrap: host.dup(), name: 'bench-server' }))
  })
  const stream = await a.dialProtocol(b.peerId, rpcBenchProtocol)
  const conn = new Connection(libp2pTransport(stream), { name: 'bench-client' })
  const client = conn.bootstrap(HostClient)
  const once = async (): Promise<void> => {
    using ans = client.info()
    if ((await ans).info.peer !== 'bench') throw new Error('wrong answer')
  }
  return {
    once,
    close: async () => {
      client.release()
      conn.close()
      for (const c of served) c.close()
      host.release()
      await b.unhandle(rpcBenchProtocol)
    }
  }
}
