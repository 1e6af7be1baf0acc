// Cluster benchmark in one process (procs.ts measures real `ww start` processes); its convergence lines are labelled cluster.inprocess.
// 1. Convergence: N nodes (N = 5, 10, 20), TCP on 127.0.0.1, mDNS off, all bootstrapped to the first node, run by
//    WW_BENCH_PROCS worker processes (default 1: all nodes in one process, sharing one core). The clock starts
//    when the workers have loaded their modules and keys and are told to start, and stops when every node lists
//    N hosts. Memory per node = RSS growth of the workers from then until convergence, / N. CPU = CPU time the
//    workers used from then until convergence (steadier than wall time on a shared machine).
//    Knobs for experiments: WW_BENCH_DIALS (maxMemberDials), WW_BENCH_DHT=0 (no kad-dht), WW_BENCH_TRACE=1 (tables,
//    connections and stats every second; WW_BENCH_STUCK_MS: after this long, who misses whom), WW_BENCH_NODE_ARGS,
//    WW_BENCH_RUNS (default 1: runs per size; the median is reported, with the spread), WW_BENCH_CONVERGE_ONLY=1
//    (stop after this part).
// 2. A raw libp2p stream echo (64-byte round trips) against a node:net echo, both in this process: the reference
//    for RPC over libp2p (`rpc.libp2p.over_raw`).
// 3. RPC over libp2p: a trivial Host.info call over one reused libp2p stream against the raw stream echo; the two
//    take turns in 10 blocks of 1,500 round trips and each one's samples are pooled (timeAlternating, raw-echo.ts).
//    The same call between two nodes of a private cluster (a swarm key: the pnet protector under noise,
//    src/cluster/private-network.ts) takes turns with them: `rpc.libp2p.pnet_over_plain` is its round trip against
//    the plain one's.
// 4. `ww ls /` wall time against a running `ww start` node, median of 10, beside bare node start-up.
// Run: make bench-cluster   (or node --import ./dist/src/polyfill.js dist/bench/cluster/converge.js [N...])
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { heartbeatWire } from '../../src/caps/heartbeat.js'
import { ClusterNode, newSwarmKeyText, parseSwarmKey } from '../../src/cluster/index.js'
import { cliLsMs } from './cli-ls.js'
import { libp2pEcho, netEchoRtt, timeAlternating } from './raw-echo.js'
import { libp2pRpcCall } from './rpc-echo.js'

const sizes = process.argv.slice(2).map(Number).filter(n => n > 0)
const counts = sizes.length > 0 ? sizes : [5, 10, 20]
const procs = Number(process.env.WW_BENCH_PROCS ?? 1)
// WW_BENCH_ONLY=echo: only the raw/RPC echo part (skips convergence and the CLI timing).
const onlyEcho = process.env.WW_BENCH_ONLY === 'echo'
const worker = fileURLToPath(new URL('./worker.js', import.meta.url))
// Extra node options for the workers, e.g. WW_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
const workerNodeArgs = (process.env.WW_BENCH_NODE_ARGS ?? '').split(' ').filter(a => a !== '')
const polyfill = fileURLToPath(new URL('../../src/polyfill.js', import.meta.url))

class Worker {
  private readonly queue: any[] = []
  private wake: (() => void) | undefined
  constructor (readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', line => { this.queue.push(JSON.parse(line)); this.wake?.() })
    child.stderr!.pipe(process.stderr)
  }

  async next (key: string): Promise<any> {
    while (true) {
      const i = this.queue.findIndex(m => key in m)
      if (i >= 0) return this.queue.splice(i, 1)[0]
      if (this.child.exitCode !== null) throw new Error('bench worker exited')
      await new Promise<void>(resolve => { this.wake = resolve })
    }
  }

  send (o: object): void { this.child.stdin!.write(JSON.stringify(o) + '\n') }
}

async function converge (n: number): Promise<{ seconds: number, mbPerNode: number, cpuSeconds: number }> {
  const p = Math.min(procs, n)
  const shares = Array.from({ length: p }, (_, i) => Math.floor(n / p) + (i < n % p ? 1 : 0))
  const workers = shares.map(count => new Worker(spawn(process.execPath, [...workerNodeArgs, '--import', polyfill, worker, String(count)], { stdio: ['pipe', 'pipe', 'pipe'] })))
  const ready = await Promise.all(workers.map(async w => await w.next('ready')))
  const started = performance.now()
  workers[0].send({ start: true, total: n })
  const { first } = await workers[0].next('first')
  for (const w of workers.slice(1)) w.send({ start: true, bootstrap: first, total: n })
  const done = await Promise.all(workers.map(async w => await w.next('converged')))
  const seconds = (performance.now() - started) / 1000
  const grown = done.reduce((s, d, i) => s + d.rss - ready[i].rss, 0)
  const cpuSeconds = done.reduce((s, d, i) => s + d.cpuMs - ready[i].cpuMs, 0) / 1000
  for (const w of workers) w.send({ stop: true })
  await Promise.all(workers.map(async w => await new Promise(resolve => w.child.once('exit', resolve))))
  return { seconds, mbPerNode: grown / n / 1e6, cpuSeconds }
}

const runs = Math.max(1, Number(process.env.WW_BENCH_RUNS ?? 1))
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
const results: Record<number, { seconds: number, mbPerNode: number }> = {}
for (const n of onlyEcho ? [] : counts) {
  const each: Array<{ seconds: number, mbPerNode: number, cpuSeconds: number }> = []
  for (let i = 0; i < runs; i++) each.push(await converge(n))
  const secs = each.map(r => r.seconds)
  results[n] = { seconds: median(secs), mbPerNode: median(each.map(r => r.mbPerNode)) }
  const spread = runs > 1 ? `; runs ${secs.map(x => x.toFixed(2)).join(' ')}` : ''
  const cpu = `; CPU ${median(each.map(r => r.cpuSeconds)).toFixed(2)} s${runs > 1 ? ` (${each.map(r => r.cpuSeconds.toFixed(2)).join(' ')})` : ''}`
  console.log(`cluster.inprocess.converge_${n}_s: ${results[n].seconds.toFixed(3)}   (in-process: ${Math.min(procs, n)} processes after module loading; memory per node ${results[n].mbPerNode.toFixed(1)} MB${cpu}${spread})`)
}
if (process.env.WW_BENCH_CONVERGE_ONLY === '1') process.exit(0)

const swarmKey = parseSwarmKey(new TextEncoder().encode(newSwarmKeyText()), 'bench')
const [a, b, pa, pb] = await Promise.all([0, 1, 2, 3].map(async i => await ClusterNode.start({
  privateKey: await generateKeyPair('Ed25519'), heartbeatWire, namespace: 'bench', listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false,
  ...(i >= 2 ? { swarmKey } : {})
})))
await a.libp2p.dial(b.libp2p.getMultiaddrs()[0])
await pa.libp2p.dial(pb.libp2p.getMultiaddrs()[0])
const rounds = 15_000
// The raw echo, the RPC call and the RPC call in a private cluster take turns in blocks of 1,500 round trips;
// each one's samples are pooled.
const rawEcho = await libp2pEcho(a.libp2p, b.libp2p)
const rpcCall = await libp2pRpcCall(a.libp2p, b.libp2p)
const pnetCall = await libp2pRpcCall(pa.libp2p, pb.libp2p)
const [raw, rpc, pnet] = await timeAlternating([rawEcho.once, rpcCall.once, pnetCall.once], rounds, 10)
await rawEcho.close()
await rpcCall.close()
await pnetCall.close()
const net = await netEchoRtt(rounds)
await Promise.all([a.stop(), b.stop(), pa.stop(), pb.stop()])
console.log(`libp2p.raw_echo_rtt_us: ${raw.p50.toFixed(1)} (p90 ${raw.p90.toFixed(1)})`)
console.log(`libp2p.rpc_call_rtt_us: ${rpc.p50.toFixed(1)} (p90 ${rpc.p90.toFixed(1)})`)
console.log(`libp2p.pnet_rpc_call_rtt_us: ${pnet.p50.toFixed(1)} (p90 ${pnet.p90.toFixed(1)})`)
console.log(`net.echo_rtt_us: ${net.p50.toFixed(1)} (p90 ${net.p90.toFixed(1)})`)
console.log(`libp2p.raw_over_net: ${(raw.p50 / net.p50).toFixed(2)}`)

if (onlyEcho) {
  console.log(`rpc.libp2p.over_raw: ${(rpc.p50 / raw.p50).toFixed(2)}`)
  console.log(`rpc.libp2p.pnet_over_plain: ${(pnet.p50 / rpc.p50).toFixed(2)}`)
  process.exit(0)
}
const cli = await cliLsMs(10)
console.log(`cli.node_bare_ms: ${cli.nodeMs.toFixed(0)}   (node -e '', the floor of any node command)`)
console.log(`cli.ls_over_bare_node: ${(cli.lsMs / cli.nodeMs).toFixed(2)}   (ww ls listed ${cli.hosts} host(s))`)

for (const n of counts) console.log(`cluster.inprocess.memory_per_node_${n}_mb: ${results[n].mbPerNode.toFixed(1)}   (RSS growth of the worker processes / N, not a node process's RSS: see cluster.procs.rss_mb)`)
if (results[20] !== undefined) console.log(`cluster.inprocess.converge_20_s: ${results[20].seconds.toFixed(3)}   (in-process; as users run it: cluster.procs.converge_s.20)`)
console.log(`rpc.libp2p.over_raw: ${(rpc.p50 / raw.p50).toFixed(2)}`)
console.log(`rpc.libp2p.pnet_over_plain: ${(pnet.p50 / rpc.p50).toFixed(2)}`)
console.log(`cli.ls_ms: ${cli.lsMs.toFixed(0)}`)
