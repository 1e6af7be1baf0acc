// What an idle node sends, per protocol, and to how many peers: N `ww start` processes (WW_BENCH_NODES, default 10)
// as procs.ts runs them, each with traffic-probe.ts loaded. Once every node lists all N and WW_BENCH_SETTLE_S
// (default 30) more have passed, an idle window of WW_BENCH_IDLE_S (default 30) s: prints, per node (mean, max), the
// bytes written (wchar) and, per protocol, the payload bytes and frames its yamux streams sent, the streams that sent
// anything, and the control frames (window updates, closes, resets); the TCP connections each node holds, and those
// opened in the window (each a noise handshake on both sides).
// Run: node --import ./dist/src/polyfill.js dist/bench/cluster/idle-traffic.js [N...]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConnectionWatch, tcpConnections } from './connections.js'
import { NodeProcess } from './node-process.js'
import { bytesWritten } from './proc-stats.js'
import type { ProtocolCounts } from './traffic-probe.js'

const fromArgs = process.argv.slice(2).map(Number).filter(n => n >= 3)
const sizes = fromArgs.length > 0 ? fromArgs : [Number(process.env.WW_BENCH_NODES ?? 10)]
const idleS = Number(process.env.WW_BENCH_IDLE_S ?? 30)
const settleS = Number(process.env.WW_BENCH_SETTLE_S ?? 30)
const probe = fileURLToPath(new URL('./traffic-probe.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'ww-bench-traffic-'))
process.env.WW_TRAFFIC_PROBE_DIR = dir
const nodeArgs = ['--import', probe, '--max-semi-space-size=2']

type Snapshot = Map<number, Record<string, ProtocolCounts>>

async function snapshot (nodes: NodeProcess[]): Promise<Snapshot> {
  for (const x of nodes) rmSync(join(dir, `${x.pid}.json`), { force: true })
  for (const x of nodes) x.child.kill('SIGUSR2')
  const out: Snapshot = new Map()
  const deadline = Date.now() + 30_000
  while (out.size < nodes.length && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 100))
    for (const x of nodes) {
      if (out.has(x.pid)) continue
      try { out.set(x.pid, JSON.parse(readFileSync(join(dir, `${x.pid}.json`), 'utf8'))) } catch {}
    }
  }
  if (out.size < nodes.length) throw new Error('a node did not write its traffic counts')
  return out
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length
const stat = (xs: number[], digits = 0): string => `${mean(xs).toFixed(digits)} (max ${Math.max(...xs).toFixed(digits)})`

async function measure (n: number): Promise<void> {
  const first = await NodeProcess.launch([], nodeArgs)
  const nodes = [first, ...await Promise.all(Array.from({ length: n - 1 }, async () => await NodeProcess.launch(['--bootstrap', first.addr], nodeArgs)))]
  try {
    await Promise.all(nodes.map(async x => await x.watch()))
    const all = (hosts: Set<string>): boolean => nodes.every(x => hosts.has(x.peer))
    const converged = await Promise.all(nodes.map(async x => await x.until(all, 180_000)))
    if (converged.some(t => t === undefined)) throw new Error(`${n} nodes did not converge in 180 s`)
    await new Promise(resolve => setTimeout(resolve, settleS * 1000))
    const pids = new Set(nodes.map(x => x.pid))
    const before = await snapshot(nodes)
    const w0 = nodes.map(x => bytesWritten(x.pid))
    const watch = new ConnectionWatch(pids, 500)
    const t0 = performance.now()
    await new Promise(resolve => setTimeout(resolve, idleS * 1000))
    const s = (performance.now() - t0) / 1000
    const { opened } = watch.stop()
    const w1 = nodes.map(x => bytesWritten(x.pid))
    const after = await snapshot(nodes)
    const held = tcpConnections(pids)
    // A loopback connection appears once per end: count each node's ends that are not the API socket's (unix).
    const perNode = nodes.map(x => held.filter(c => c.pid === x.pid).length)
    const tag = `${n}`
    console.log(`cluster.traffic.connections_per_node.${tag}: ${stat(perNode, 1)}   (TCP connections held at the end, of ${n - 1} possible)`)
    console.log(`cluster.traffic.connections_opened.${tag}: ${opened.length / 2}   (in the ${s.toFixed(0)} s window, ${settleS} s after convergence; each a noise handshake on both sides)`)
    console.log(`cluster.traffic.out_bytes_s.${tag}: ${stat(nodes.map((x, i) => (w1[i] - w0[i]) / s))}   (wchar)`)
    const protocols = new Set<string>()
    for (const snap of after.values()) for (const p of Object.keys(snap)) protocols.add(p)
    const delta = (pid: number, p: string, k: keyof ProtocolCounts): number => (after.get(pid)?.[p]?.[k] ?? 0) - (before.get(pid)?.[p]?.[k] ?? 0)
    const rows = [...protocols].map(p => ({
      p,
      bytes: nodes.map(x => delta(x.pid, p, 'bytes') / s),
      frames: nodes.map(x => delta(x.pid, p, 'frames') / s),
      control: nodes.map(x => delta(x.pid, p, 'control') / s),
      streams: nodes.map(x => delta(x.pid, p, 'streams'))
    })).filter(r => r.frames.some(f => f > 0) || r.control.some(f => f > 0)).sort((a, b) => mean(b.frames) - mean(a.frames))
    for (const r of rows) {
      console.log(`cluster.traffic.idle_out.${tag}.${r.p}: ${stat(r.bytes, 1)} B/s payload, ${stat(r.frames, 2)} data frames/s, ${stat(r.control, 2)} control frames/s, ${stat(r.streams, 1)} streams`)
    }
  } finally {
    await Promise.all(nodes.map(async x => { await x.stop('SIGTERM'); x.cleanup() }))
  }
}

try {
  for (const n of sizes) await measure(n)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
