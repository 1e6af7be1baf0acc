// Pipelining between real nodes, as a user meets it: two `ww start` processes on 127.0.0.1 (B
// bootstrapped to A), a channel made on B with `ww mkchan /<B>/mailbox`, and this process as a
// client of A's API socket (as the CLI is). Timed, taking turns each round:
//   rtt:        anchor.path() on /<B>/mailbox walked beforehand: one call that A forwards to B.
//   pipelined:  walk("/<B>/mailbox") -> load() -> value.sender.send(msg), issued together.
//   sequential: the same three calls, each awaited before the next.
// The message is received back (through A) outside the timed region.
// Prints anchor.nodes.{rtt_us,pipelined_us,sequential_us,pipelined.over_rtt} (target <= 1.2).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Connection } from '../../src/rpc/index.js'
import { connectUnix } from '../../src/transport/index.js'
import { HostClient } from '../../src/schema/host.rpc.js'
import { resolveHome } from '../../src/host/home.js'
import { medians } from './rounds.js'
import { chainOps } from './chain.js'

const ROUNDS = Number(process.env.WW_BENCH_ROUNDS ?? 1000)
const WARMUP = 500
const ww = fileURLToPath(new URL('../../../bin/ww', import.meta.url))

interface Node { home: string, child: ChildProcess, peer: string, addr: string }

async function startNode (...extra: string[]): Promise<Node> {
  const home = mkdtempSync(join(tmpdir(), 'ww-bench-node-'))
  const child = spawn(ww, ['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] })
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

const a = await startNode()
const b = await startNode('--bootstrap', a.addr)
try {
  const deadline = Date.now() + 30_000
  while (!run('ls', '/', '--home', a.home).includes(b.peer)) {
    if (Date.now() > deadline) throw new Error('the nodes did not find each other')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const mailbox = `/${b.peer}/mailbox`
  run('mkchan', mailbox, '--cap', '16', '--home', a.home)

  const conn = new Connection(await connectUnix(resolveHome(a.home).apiSocket), { name: 'bench' })
  const host = conn.bootstrap(HostClient)
  const rootAns = host.root()
  const root = rootAns.pipeline.anchor
  const walked = root.walk((p) => { p.path = mailbox })
  const anchor = walked.pipeline.anchor
  const loaded = anchor.load()
  const recver = loaded.pipeline.value.recver
  await loaded

  const drain = async (): Promise<void> => { const r = recver.recv(); await r; r.release() }
  const { rtt, pipelined, sequential } = chainOps(root, mailbox, anchor, drain)
  const [r, p, q] = await medians([rtt, pipelined, sequential], ROUNDS, Math.min(WARMUP, ROUNDS))
  console.log(`anchor.nodes.rtt_us: ${r.toFixed(1)}`)
  console.log(`anchor.nodes.pipelined_us: ${p.toFixed(1)}`)
  console.log(`anchor.nodes.sequential_us: ${q.toFixed(1)}`)
  console.log(`anchor.nodes.pipelined.over_rtt: ${(p / r).toFixed(2)}`)
  for (const x of [loaded, walked, rootAns]) x.release()
  host.release()
  conn.close('done')
} finally {
  await stop(b)
  await stop(a)
}
process.exit(0)
