// Pipelining between real nodes, as a user meets it: two `ww start` processes on 127.0.0.1 (B
// bootstrapped to A), channels made with `ww mkchan`, and this process as a client of A's API
// socket (as the CLI is). Timed, taking turns each round:
//   rtt:        anchor.path() on the mailbox walked beforehand: one round trip.
//   pipelined:  walk(mailbox) -> load() -> value.sender.send(msg), issued together, walk and load
//               made with onlyPipeline (only send is answered).
//   plain:      the same without onlyPipeline, as the C++ reference's chain (libcapnp 0.9 has no such hint).
//   sequential: the same three calls, each awaited before the next.
// The message is received back outside the timed region.
//
// 1. One node: /<A>/mailbox, A's own tree. With this process and A pinned to one vCPU ("same")
//    and to two ("split"): on a shared vCPU the three calls' CPU adds up and pipelining can save
//    only the wire; on two, the ends overlap. The reference, in the same run and placement: the C++
//    Cap'n Proto client and server (test/rpc/interop/cpp) timing three chained calls against one.
// 2. Two nodes: /<B>/mailbox through A, which forwards each call to B over libp2p (unpinned).
// Prints anchor.node.{same,split}.{rtt_us,pipelined_us,plain_us,sequential_us,three_us, and the
// ratios pipelined.over_rtt,plain.over_rtt,three.over_rtt} (chain.ts says what each op is),
// cpp.chain.{same,split}.over_rtt, anchor.nodes.{...} (target for the over_rtt lines: <= 1.2).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Connection } from '../../src/rpc/index.js'
import { connectUnix } from '../../src/transport/index.js'
import { HostClient } from '../../src/schema/host.rpc.js'
import { resolveHome } from '../../src/host/home.js'
import { type Timings, chainOps, reportChain, timeChain } from './chain.js'
import { buildCppPeers, runCppClient, startCppServer } from '../../test/rpc/interop/cpp-peers.js'

const ROUNDS = Number(process.env.WW_BENCH_ROUNDS ?? 1000)
const WARMUP = 500
const ww = fileURLToPath(new URL('../../../bin/ww', import.meta.url))

interface Node { home: string, child: ChildProcess, peer: string, addr: string }

async function startNode (...extra: string[]): Promise<Node> {
  const home = mkdtempSync(join(tmpdir(), 'ww-bench-node-'))
  // Members may do everything (as in a private cluster): the benchmark stores and sends on the other node.
  const child = spawn(ww, ['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--grant', 'members=read,write,exec', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout!.on('data', (d) => { out += String(d) })
  const deadline = Date.now() + 30_000
  for (;;) {
    const peer = /^peer (\S+)$/m.exec(out)
    const addr = /^listen (\S+)$/m.exec(out)
    if (peer !== null && addr !== null) return { home, child, peer: peer[1], addr: addr[1] }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`ww start did not come up: ${out}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function run (...args: string[]): string {
  const r = spawnSync(ww, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`ww ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

async function stop (n: Node): Promise<void> {
  n.child.kill('SIGTERM')
  if (n.child.exitCode === null) await new Promise((resolve) => n.child.once('exit', resolve))
  rmSync(n.home, { recursive: true, force: true })
}

/** Pins every thread of a process to one vCPU; false where taskset is missing or refused. */
function pin (pid: number, cpu: number): boolean {
  try { execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' }); return true } catch { return false }
}

/** Times the chain on `mailbox` through A's API socket. */
async function measureThroughA (apiSocket: string, mailbox: string): Promise<Timings> {
  const conn = new Connection(await connectUnix(apiSocket), { name: 'bench' })
  const host = conn.bootstrap(HostClient)
  const rootAns = host.root()
  const root = rootAns.pipeline.anchor
  const walked = root.walk((p) => { p.path = mailbox })
  const anchor = walked.pipeline.anchor
  const loaded = anchor.load()
  const recver = loaded.pipeline.value.recver
  await loaded
  const drain = async (): Promise<void> => { const r = recver.recv(); await r; r.release() }
  const m = await timeChain(chainOps(root, mailbox, anchor, drain), ROUNDS, Math.min(WARMUP, ROUNDS))
  for (const x of [loaded, walked, rootAns]) x.release()
  host.release()
  conn.close('done')
  return m
}

/** The C++ reference: chained calls against one call, client and server pinned like A and this process. */
async function cppChain (clientCpu: number, serverCpu: number): Promise<number> {
  const peers = await buildCppPeers()
  const dir = mkdtempSync(join(tmpdir(), 'ww-bench-cpp-'))
  const server = await startCppServer(peers.server, `unix:${join(dir, 'cpp.sock')}`, ['taskset', '-c', String(serverCpu)])
  try {
    const c = await runCppClient(peers.client, server.address, ['chain', String(ROUNDS)], 600_000, ['taskset', '-c', String(clientCpu)])
    const line = c.stdout.split('\n').find((l) => l.startsWith('{'))
    if (c.code !== 0 || line === undefined) throw new Error(`C++ chain client failed: ${c.stdout}${c.stderr}`)
    const m = JSON.parse(line) as { chainRttUs: number, chainPipelinedUs: number }
    return m.chainPipelinedUs / m.chainRttUs
  } finally {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const a = await startNode()
const b = await startNode('--bootstrap', a.addr)
try {
  const deadline = Date.now() + 30_000
  while (!run('ls', '/', '--home', a.home).includes(b.peer)) {
    if (Date.now() > deadline) throw new Error('the nodes did not find each other')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const apiSocket = resolveHome(a.home).apiSocket

  const local = `/${a.peer}/mailbox`
  run('mkchan', local, '--cap', '16', '--home', a.home)
  const placements = availableParallelism() > 1 ? [['same', 0, 0], ['split', 0, 1]] as const : [['same', 0, 0]] as const
  if (pin(process.pid, 0)) {
    for (const [name, mine, theirs] of placements) {
      if (!pin(a.child.pid!, theirs)) throw new Error('taskset could not pin node A')
      reportChain(`anchor.node.${name}`, await measureThroughA(apiSocket, local))
      console.log(`cpp.chain.${name}.over_rtt: ${(await cppChain(mine, theirs)).toFixed(2)}`)
    }
    const all = Array.from({ length: availableParallelism() }, (_, i) => i).join(',')
    for (const pid of [process.pid, a.child.pid!]) execFileSync('taskset', ['-a', '-cp', all, String(pid)], { stdio: 'ignore' })
  } else {
    console.log('(taskset unavailable: one node measured unpinned)')
    reportChain('anchor.node.free', await measureThroughA(apiSocket, local))
  }

  const mailbox = `/${b.peer}/mailbox`
  run('mkchan', mailbox, '--cap', '16', '--home', a.home)
  reportChain('anchor.nodes', await measureThroughA(apiSocket, mailbox))
} finally {
  await stop(b)
  await stop(a)
}
process.exit(0)
