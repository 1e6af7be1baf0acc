// RPC benchmark: sequential round-trip latency (mean, p50) and pipelined throughput (calls in
// flight) for TS<->TS, C++<->C++ (the reference, EzRpcClient against the TwoPartyVatNetwork server)
// and TS client -> C++ server. Client and server are separate processes on a unix socket.
//
// Placement matters on a small VM: two processes sharing one vCPU talk ~2-4x faster than across
// vCPUs, and the scheduler picks either at random (research: capnp.md section 4.1). So each pair is
// measured with both processes pinned to one vCPU ("same") and, when there are two or more vCPUs,
// pinned to different ones ("split"); rounds interleave pairs and placements, medians are reported.
// The ratio lines use the "same" placement, the stable one; the table shows both.
// A second table: three calls chained by pipelining (Test.root -> Node.child -> Node.path, issued
// together) against one Node.path call, per pair and placement: what pipelining buys on loopback
// when the two ends share a CPU and when they do not (the reference for anchor.pipelined.over_rtt).
//
// Usage: node --import ./dist/src/polyfill.js dist/bench/rpc/run.js [rounds] [sequential] [pipelined]
// WW_BENCH_RPC_PIN=none runs unpinned (one "free" placement). The last two lines are the ratios.

import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildCppPeers, runCppClient, startCppServer, type RunningServer, type Wrapper } from '../../test/rpc/interop/cpp-peers.js'

interface Sample {
  seqMeanUs: number
  seqP50Us: number
  seqP99Us: number
  pipelinedCallsPerSec: number
  chainRttUs: number
  chainPipelinedUs: number
}
interface Placement { name: string, client: Wrapper, server: Wrapper }

const here = dirname(fileURLToPath(import.meta.url))
const nodeArgs = ['--import', join(here, '..', '..', 'src', 'polyfill.js')]

const rounds = Number(process.argv[2] ?? 5)
const sequential = Number(process.argv[3] ?? 10_000)
const pipelined = Number(process.argv[4] ?? 1_000)
const pairs = ['C++ -> C++', 'TS -> C++', 'TS -> TS'] as const
type Pair = typeof pairs[number]

function placements (): Placement[] {
  let taskset = false
  try { execFileSync('taskset', ['-c', '0', 'true']); taskset = true } catch {}
  if (process.env.WW_BENCH_RPC_PIN === 'none' || !taskset) return [{ name: 'free', client: [], server: [] }]
  const pin = (cpu: number): Wrapper => ['taskset', '-c', String(cpu)]
  const out = [{ name: 'same', client: pin(0), server: pin(0) }]
  if (availableParallelism() > 1) out.push({ name: 'split', client: pin(0), server: pin(1) })
  return out
}

function parseSample (out: string, who: string): Sample {
  const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop()
  if (line === undefined) throw new Error(`${who} printed no result: ${out}`)
  return JSON.parse(line) as Sample
}

function spawnNode (wrap: Wrapper, script: string, args: string[]): ReturnType<typeof spawn> {
  const [cmd, ...rest] = [...wrap, process.execPath, ...nodeArgs, join(here, script), ...args]
  return spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'inherit'] })
}

async function runTsClient (wrap: Wrapper, address: string): Promise<Sample> {
  const child = spawnNode(wrap, 'ts-client.js', [address, String(sequential), String(pipelined)])
  const out = await new Promise<string>((resolve, reject) => {
    let text = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { text += d })
    child.once('close', (code) => { code === 0 ? resolve(text) : reject(new Error(`TS client exited ${String(code)}: ${text}`)) })
  })
  return parseSample(out, 'TS client')
}

async function startTsServer (wrap: Wrapper, socket: string): Promise<RunningServer> {
  const child = spawnNode(wrap, 'ts-server.js', [socket])
  const address = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const m = /^listening (\S+)$/m.exec(out)
      if (m !== null) resolve(m[1])
    })
    child.once('exit', (code) => { reject(new Error(`TS server exited ${String(code)}`)) })
  })
  const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
  return { address, process: child, stop: async () => { child.kill('SIGTERM'); await exited } }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

function summarize (xs: Sample[]): Sample {
  return {
    seqMeanUs: median(xs.map((x) => x.seqMeanUs)),
    seqP50Us: median(xs.map((x) => x.seqP50Us)),
    seqP99Us: median(xs.map((x) => x.seqP99Us)),
    pipelinedCallsPerSec: median(xs.map((x) => x.pipelinedCallsPerSec)),
    chainRttUs: median(xs.map((x) => x.chainRttUs)),
    chainPipelinedUs: median(xs.map((x) => x.chainPipelinedUs))
  }
}

async function main (): Promise<void> {
  const peers = await buildCppPeers()
  const dir = mkdtempSync(join(tmpdir(), 'ww-bench-rpc-'))
  const where = placements()
  const results = new Map<string, Sample[]>()
  const key = (p: Placement, pair: Pair): string => `${p.name}|${pair}`
  const servers: RunningServer[] = []
  try {
    const started = []
    for (const p of where) {
      const cpp = await startCppServer(peers.server, `unix:${join(dir, `cpp-${p.name}.sock`)}`, p.server)
      const ts = await startTsServer(p.server, join(dir, `ts-${p.name}.sock`))
      servers.push(cpp, ts)
      started.push({ p, cpp, ts })
    }
    for (let r = 0; r < rounds; r++) {
      for (const { p, cpp, ts } of started) {
        const c = await runCppClient(peers.client, cpp.address, ['bench', String(sequential), String(pipelined), '1'], 600_000, p.client)
        if (c.code !== 0) throw new Error(`C++ bench client failed: ${c.stdout}${c.stderr}`)
        const add = (pair: Pair, s: Sample): void => { results.set(key(p, pair), [...(results.get(key(p, pair)) ?? []), s]) }
        add('C++ -> C++', parseSample(c.stdout, 'C++ client'))
        add('TS -> C++', await runTsClient(p.client, cpp.address))
        add('TS -> TS', await runTsClient(p.client, ts.address))
      }
      process.stderr.write(`round ${r + 1}/${rounds} done\n`)
    }
  } finally {
    for (const s of servers) await s.stop()
    rmSync(dir, { recursive: true, force: true })
  }

  console.log(`Cap'n Proto RPC over a unix socket, client and server in separate processes.`)
  console.log(`Median of ${rounds} rounds; ${sequential} sequential calls (mean, p50, p99) and ${pipelined} calls in flight.`)
  console.log(`Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} vCPUs (other load inflates means and p99 through preemption).`)
  console.log('placement  pair          seq mean µs  seq p50 µs  seq p99 µs  pipelined calls/s  per-round seq means')
  const med = new Map<string, Sample>()
  for (const p of where) {
    for (const pair of pairs) {
      const xs = results.get(key(p, pair)) ?? []
      const m = summarize(xs)
      med.set(key(p, pair), m)
      console.log(`${p.name.padEnd(9)}  ${pair.padEnd(12)}  ${m.seqMeanUs.toFixed(1).padStart(11)}  ${m.seqP50Us.toFixed(1).padStart(10)}  ${m.seqP99Us.toFixed(0).padStart(10)}  ${m.pipelinedCallsPerSec.toFixed(0).padStart(17)}  ${xs.map((x) => x.seqMeanUs.toFixed(0)).join(' ')}`)
    }
  }
  console.log('Three calls chained by pipelining (root -> child -> path, awaited at the end) against one path() call:')
  console.log('placement  pair          one call p50 µs  chain p50 µs  chain/one')
  for (const p of where) {
    for (const pair of pairs) {
      const m = med.get(key(p, pair))!
      console.log(`${p.name.padEnd(9)}  ${pair.padEnd(12)}  ${m.chainRttUs.toFixed(1).padStart(15)}  ${m.chainPipelinedUs.toFixed(1).padStart(12)}  ${(m.chainPipelinedUs / m.chainRttUs).toFixed(2).padStart(9)}`)
    }
  }
  const ratios = (p: Placement): { seq: number, pipe: number } => {
    const ref = med.get(key(p, 'C++ -> C++'))!
    const ts = med.get(key(p, 'TS -> C++'))!
    return { seq: ts.seqMeanUs / ref.seqMeanUs, pipe: ts.pipelinedCallsPerSec / ref.pipelinedCallsPerSec }
  }
  for (const p of where.slice(1)) {
    const r = ratios(p)
    console.log(`(${p.name} placement: seq ratio ${r.seq.toFixed(3)}, pipelined ratio ${r.pipe.toFixed(3)})`)
  }
  const main = ratios(where[0])
  console.log(`rpc.seq.ts_over_cpp: ${main.seq.toFixed(3)}`)
  console.log(`rpc.pipelined.ts_over_cpp: ${main.pipe.toFixed(3)}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
