// What counting the calls costs the RPC hot path: the same calls over an in-memory connection pair, served
// with and without the node's CallObserver (src/host/call-counts.ts), in alternating rounds of the same run.
// Sequential calls (one in flight) and pipelined ones (1000 in flight).
//
// Usage: node --import ./dist/src/polyfill.js dist/bench/host/metrics-overhead.js [rounds] [calls]
// Prints metrics.observer.seq_ratio and metrics.observer.pipelined_ratio: calls/s with the observer over
// calls/s without (1.0 = free; medians of the per-round ratios), and the counts the observer saw.
import { Unimplemented } from '../../src/errors.js'
import { CallCounts } from '../../src/host/call-counts.js'
import { schemaMethodNames } from '../../src/host/method-names.js'
import { Connection, type CallObserver } from '../../src/rpc/index.js'
import { HostClient } from '../../src/schema/host.rpc.js'
import { memoryPair } from '../../src/transport/index.js'

const rounds = Number(process.argv[2] ?? 7)
const calls = Number(process.argv[3] ?? 20_000)

const no = (): never => { throw new Unimplemented('not in this benchmark') }
const served = HostClient.serve({
  info (_params, results) { results._initInfo().peer = 'bench' },
  root: no, local: no, cluster: no, executor: no, pubsub: no, peer: no, stop: no, connect: no, deployments: no, metrics: no, endpoints: no
})

/** Calls per second over a fresh connection pair, the server's connection given `observer`. */
async function measure (observer: CallObserver | undefined, inFlight: number): Promise<number> {
  const [clientEnd, serverEnd] = memoryPair()
  const server = new Connection(serverEnd, { bootstrap: served, name: 'bench-server', observer })
  const conn = new Connection(clientEnd, { name: 'bench-client' })
  const client = conn.bootstrap(HostClient)
  const batch = async (n: number): Promise<void> => {
    const answers = Array.from({ length: n }, () => client.info())
    for (const a of answers) { await a; a.release() }
  }
  for (let i = 0; i < 200; i++) await batch(1) // warm up
  const t = process.hrtime.bigint()
  for (let done = 0; done < calls; done += inFlight) await batch(inFlight)
  const seconds = Number(process.hrtime.bigint() - t) / 1e9
  client.release()
  conn.close()
  server.close()
  return calls / seconds
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const counts = new CallCounts(schemaMethodNames())
for (const [name, inFlight] of [['seq', 1], ['pipelined', 1000]] as const) {
  const ratios: number[] = []
  const plain: number[] = []
  for (let r = 0; r < rounds; r++) {
    // alternate which goes first, so a drift in the machine's load falls on both alike
    let without: number
    let on: number
    if (r % 2 === 0) {
      without = await measure(undefined, inFlight)
      on = await measure(counts, inFlight)
    } else {
      on = await measure(counts, inFlight)
      without = await measure(undefined, inFlight)
    }
    ratios.push(on / without)
    plain.push(without)
  }
  console.log(`metrics.observer.${name}_calls_s_without: ${Math.round(median(plain))}`)
  console.log(`metrics.observer.${name}_ratio: ${median(ratios).toFixed(3)}   (per round: ${ratios.map(x => x.toFixed(2)).join(' ')})`)
}
console.log(`counted: ${JSON.stringify(counts.read())}`)
served.release()
