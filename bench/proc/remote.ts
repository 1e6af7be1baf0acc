// proc.chan.remote_msgs_s: guest-to-guest messages/s across two nodes (ping on B, echo on A, through
// /<A>/mailbox over libp2p on 127.0.0.1), beside the same guests on one node measured in the same run.
// proc.chan.remote.over_rpc: the guests' round trips/s, each one ww_request (one RPC call), over a plain RPC round
// trip (Host.info) from B to A on one libp2p stream between the same two nodes, measured in the same run;
// remote_send_recv.over_rpc the same with ww_send carrying a reply sender and ww_recv (two calls and a release).
// *_cpu.over_rpc: CPU (both nodes share this process) per guest round trip over CPU per RPC round trip.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveHome } from '../../src/host/home.js'
import { WwNode } from '../../src/host/node.js'
import { Policy } from '../../src/host/policy.js'
import { libp2pRpcCall } from '../cluster/rpc-echo.js'

/** Members may do everything, as in a private cluster: b runs procs on a. */
const trusted = Policy.defaults(true)

const ROUND_TRIPS = Number(process.env.WW_BENCH_REMOTE_ROUND_TRIPS ?? 1000)
const RPC_WARMUP = 200

/** Round trips/s of a trivial RPC call from b to a on one libp2p stream between the same two nodes. */
async function rpcRoundTrips (a: WwNode, b: WwNode): Promise<Rate> {
  const op = await libp2pRpcCall(b.cluster.libp2p, a.cluster.libp2p)
  try {
    for (let i = 0; i < RPC_WARMUP; i++) await op.once()
    const t = performance.now()
    const cpu = process.cpuUsage()
    for (let i = 0; i < ROUND_TRIPS; i++) await op.once()
    return rate(ROUND_TRIPS, t, cpu)
  } finally {
    await op.close()
  }
}

type Line = (name: string, value: number | string, note?: string) => void

/** Round trips/s, and the CPU time (both nodes: they share this process) each took, in µs. */
interface Rate { perSecond: number, cpuUs: number }

function rate (n: number, startMs: number, cpu: NodeJS.CpuUsage): Rate {
  const used = process.cpuUsage(cpu)
  return { perSecond: n / ((performance.now() - startMs) / 1000), cpuUs: (used.user + used.system) / n }
}

/** Messages/s (two per round trip) and CPU µs per round trip. */
async function pingPong (ping: WwNode, echoOn: WwNode, path: string, build: string, mode: 'send' | 'request' = 'send'): Promise<Rate> {
  const wasm = (name: string): Uint8Array => new Uint8Array(readFileSync(join(build, `${name}.wasm`)))
  const echo = await echoOn.procs.spawnHere({ module: { bytes: wasm('echo') }, args: ['/peer/bench-mailbox', String(ROUND_TRIPS)] })
  let out = ''
  const cpu = process.cpuUsage()
  const p = await ping.procs.spawnHere({ module: { bytes: wasm('ping') }, args: [path, String(ROUND_TRIPS), '30', mode], stdout: c => { out += new TextDecoder().decode(c) } })
  const st = await p.wait()
  const used = process.cpuUsage(cpu)
  echo.kill()
  const m = /in (\d+) us/.exec(out)
  if (st.code !== 0 || m === null) throw new Error(`ping failed: ${st.message} ${out}`)
  return { perSecond: 2 * ROUND_TRIPS / (Number(m[1]) / 1e6), cpuUs: (used.user + used.system) / ROUND_TRIPS }
}

export async function remoteChannel (line: Line, build: string): Promise<void> {
  const homes = [mkdtempSync(join(tmpdir(), 'ww-bench-')), mkdtempSync(join(tmpdir(), 'ww-bench-'))]
  const a = await WwNode.start({ home: resolveHome(homes[0]), mdns: false, api: false, listen: ['/ip4/127.0.0.1/tcp/0'], policy: trusted })
  const b = await WwNode.start({ home: resolveHome(homes[1]), mdns: false, api: false, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: a.cluster.addrs(), policy: trusted })
  try {
    while (a.cluster.ls().length < 2 || b.cluster.ls().length < 2) await new Promise(resolve => setTimeout(resolve, 50))
    const local = await pingPong(a, a, '/peer/bench-mailbox', build)
    await pingPong(b, a, `/${a.peerId}/bench-mailbox`, build) // warm-up
    const remote = await pingPong(b, a, `/${a.peerId}/bench-mailbox`, build)
    await pingPong(b, a, `/${a.peerId}/bench-mailbox`, build, 'request') // warm-up
    const request = await pingPong(b, a, `/${a.peerId}/bench-mailbox`, build, 'request')
    const rpc = await rpcRoundTrips(a, b)
    line('proc.chan.remote_msgs_s', Math.round(remote.perSecond), `${ROUND_TRIPS} round trips ping on B <-> echo on A over libp2p`)
    line('proc.chan.node_local_msgs_s', Math.round(local.perSecond), 'the same guests on one node (cluster world)')
    line('proc.chan.remote_over_local', remote.perSecond / local.perSecond)
    line('proc.chan.rpc_reference_round_trips_s', Math.round(rpc.perSecond), `${ROUND_TRIPS} trivial RPC calls B -> A on one libp2p stream between the same nodes`)
    line('proc.chan.remote_send_recv.over_rpc', remote.perSecond / 2 / rpc.perSecond, 'guest round trips/s (ww_send with a reply sender, ww_recv) over RPC round trips/s')
    line('proc.chan.remote_request_msgs_s', Math.round(request.perSecond), 'the same round trips as ww_request (one RPC call each)')
    line('proc.chan.remote.over_rpc', request.perSecond / 2 / rpc.perSecond, 'guest round trips/s with ww_request over RPC round trips/s; target >= 0.7')
    line('proc.chan.remote_cpu_us_per_round_trip', Math.round(remote.cpuUs), 'CPU of both nodes (one process) per guest round trip, spawns included')
    line('proc.chan.rpc_cpu_us_per_round_trip', Math.round(rpc.cpuUs), 'the same per RPC round trip')
    line('proc.chan.remote_cpu.over_rpc', remote.cpuUs / rpc.cpuUs, 'CPU per guest round trip over CPU per RPC round trip')
    line('proc.chan.remote_request_cpu.over_rpc', request.cpuUs / rpc.cpuUs, 'the same with ww_request')
  } finally {
    await b.stop()
    await a.stop()
    for (const h of homes) rmSync(h, { recursive: true, force: true })
  }
}
