// The TypeScript benchmark client: ts-client.js <unix:path | host:port> <sequential calls> <pipelined calls>.
// Same measurement as the C++ client's `bench` mode: Counter.add on one resolved capability,
// 5,000 warm-up calls, then N awaited one by one, then M issued at once; then the chain latency
// (chainLatency). Prints one JSON line.
import { Connection } from '../../src/rpc/index.js'
import { TestClient } from '../../test/rpc/interop/gen/interop.rpc.js'
import { connectTo } from '../../test/rpc/interop/address.js'

const [address, seqArg, pipeArg] = process.argv.slice(2)
if (address === undefined) {
  console.error('usage: ts-client.js unix:<path>|<host:port> <sequential> <pipelined>')
  process.exit(2)
}
const sequential = Number(seqArg ?? 10_000)
const pipelined = Number(pipeArg ?? 1_000)

const conn = new Connection(await connectTo(address), { name: 'bench-client' })
const test = conn.bootstrap(TestClient)
const made = test.newCounter((p) => { p.start = 0n })
await made
const counter = made.pipeline.counter.dup()
made.release()

async function add (): Promise<bigint> {
  const a = counter.add((p) => { p.by = 1n })
  try { return (await a).value } finally { a.release() }
}

// Warm-up: V8 is still compiling the call path during the first few thousand calls.
for (let i = 0; i < 5000; i++) await add()

const us = new Float64Array(sequential)
const t0 = process.hrtime.bigint()
for (let i = 0; i < sequential; i++) {
  const s = process.hrtime.bigint()
  await add()
  us[i] = Number(process.hrtime.bigint() - s) / 1000
}
const seqMeanUs = Number(process.hrtime.bigint() - t0) / 1000 / sequential
us.sort()
const seqP50Us = us[Math.floor(sequential / 2)]
const seqP99Us = us[Math.floor(sequential * 0.99)]

const p0 = process.hrtime.bigint()
await Promise.all(Array.from({ length: pipelined }, async () => await add()))
const pipelinedCallsPerSec = pipelined / (Number(process.hrtime.bigint() - p0) / 1e9)

// Median latency of one path() call on a held Node, and of root('a') -> child('b') -> path() issued
// together (each on the previous one's pipelined result) and awaited at the end; the two alternate.
// After each, an untimed path() carries what the op left to send (Finish, Release) and comes back
// once the server handled it, so neither op pays for the other's cleanup (as the C++ client does).
async function chainLatency (n: number): Promise<{ chainRttUs: number, chainPipelinedUs: number }> {
  const held = test.root((p) => { p.name = 'a' })
  await held
  const node = held.pipeline.node.dup()
  held.release()
  const settle = async (): Promise<void> => { const p = node.path(); await p; p.release() }
  const rtt: number[] = []
  const chained: number[] = []
  for (let i = 0; i < n + 1000; i++) {
    let s = process.hrtime.bigint()
    const one = node.path()
    await one
    const oneUs = Number(process.hrtime.bigint() - s) / 1000
    one.release()
    await settle()
    s = process.hrtime.bigint()
    const root = test.root((p) => { p.name = 'a' })
    const child = root.pipeline.node.child((p) => { p.name = 'b' })
    const path = child.pipeline.node.path()
    await path
    const threeUs = Number(process.hrtime.bigint() - s) / 1000
    path.release()
    child.release()
    root.release()
    await settle()
    if (i >= 1000) { rtt.push(oneUs); chained.push(threeUs) }
  }
  node.release()
  const mid = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  return { chainRttUs: mid(rtt), chainPipelinedUs: mid(chained) }
}

const { chainRttUs, chainPipelinedUs } = await chainLatency(Math.floor(sequential / 4))

console.log(JSON.stringify({ seqMeanUs, seqP50Us, seqP99Us, pipelinedCallsPerSec, chainRttUs, chainPipelinedUs }))
counter.release()
test.release()
conn.close()
await conn.closed
