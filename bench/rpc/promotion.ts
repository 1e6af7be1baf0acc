// Bytes per RPC call that reach the old generation. One call in flight over the memory transport
// (both ends in this process): every object of a call is dead once the next one starts, so a
// call should leave nothing behind in old space, and what it does leave is paid for twice: by
// the scavenges that copy it, then by the mark-compact that frees it. Reference, in the same run:
// the same loop handing an object of similar size through a promise per operation.
//
// Method: a full GC, then a window of calls with no mark-compact in it (a PerformanceObserver
// says); old-space growth over the window / calls. Windows that saw a mark-compact are retried.
//
// Usage: node --expose-gc --import ./dist/src/polyfill.js dist/bench/rpc/promotion.js [calls per window]
// Prints rpc.mem.call_us, rpc.mem.promoted_bytes_per_call and promise.promoted_bytes_per_op.
import { PerformanceObserver, constants } from 'node:perf_hooks'
import v8 from 'node:v8'
import { Unimplemented } from '../../src/errors.js'
import { Connection } from '../../src/rpc/index.js'
import { HostClient } from '../../src/schema/host.rpc.js'
import { memoryPair } from '../../src/transport/index.js'

const windowCalls = Number(process.argv[2] ?? 5_000)
const windows = 5

const noGc = (): never => { console.error('promotion.js: run it with node --expose-gc'); process.exit(2) }
const fullGc: () => void = (globalThis as { gc?: () => void }).gc ?? noGc()
let majors = 0
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++
  }
})
observer.observe({ entryTypes: ['gc'] })

const oldSpaceUsed = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? 0
const settle = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 20)) }

/** Median old-space bytes per op over windows without a mark-compact, and the mean µs per op. */
async function promotedPerOp (op: () => Promise<void>): Promise<{ bytes: number, us: number }> {
  for (let i = 0; i < 5_000; i++) await op()
  const bytes: number[] = []
  const us: number[] = []
  for (let tries = 0; bytes.length < windows && tries < windows * 4; tries++) {
    fullGc()
    await settle()
    const seen = majors
    const before = oldSpaceUsed()
    const t = process.hrtime.bigint()
    for (let i = 0; i < windowCalls; i++) await op()
    const elapsed = Number(process.hrtime.bigint() - t) / 1000 / windowCalls
    const after = oldSpaceUsed()
    await settle()
    if (majors !== seen) continue
    bytes.push((after - before) / windowCalls)
    us.push(elapsed)
  }
  if (bytes.length === 0) throw new Error('every window saw a mark-compact; try fewer calls per window')
  bytes.sort((a, b) => a - b)
  return { bytes: bytes[Math.floor(bytes.length / 2)], us: us.reduce((a, b) => a + b, 0) / us.length }
}

const no = (): never => { throw new Unimplemented('not in this benchmark') }
const host = HostClient.serve({
  info (_params, results) { results._initInfo().peer = 'bench' },
  root: no, local: no, cluster: no, executor: no, pubsub: no, peer: no, stop: no, connect: no, deployments: no, metrics: no, endpoints: no
})
const [clientEnd, serverEnd] = memoryPair()
const server = new Connection(serverEnd, { bootstrap: host, name: 'bench-server' })
const conn = new Connection(clientEnd, { name: 'bench-client' })
const client = conn.bootstrap(HostClient)

const rpc = await promotedPerOp(async () => {
  using ans = client.info()
  if ((await ans).info.peer !== 'bench') throw new Error('wrong answer')
})
const handoff = await promotedPerOp(async () => {
  const value = await new Promise<{ peer: string, bytes: Uint8Array }>((resolve) => { queueMicrotask(() => { resolve({ peer: 'bench', bytes: new Uint8Array(200) }) }) })
  if (value.peer !== 'bench') throw new Error('wrong answer')
})

client.release()
conn.close()
server.close()
host.release()
observer.disconnect()

console.log(`promise.op_us: ${handoff.us.toFixed(2)}`)
console.log(`promise.promoted_bytes_per_op: ${handoff.bytes.toFixed(0)}`)
console.log(`rpc.mem.call_us: ${rpc.us.toFixed(2)}`)
console.log(`rpc.mem.promoted_bytes_per_call: ${rpc.bytes.toFixed(0)}`)
