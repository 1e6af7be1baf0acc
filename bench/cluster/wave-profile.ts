// Where a node's CPU goes while a cluster forms: N `ww start` processes launched as procs.ts does (node 0 first, the
// others at once, bootstrapped to it), node 0 and node 1 (a joiner) run with --cpu-prof. For each of the two, the
// window from its API socket up to the moment every node lists all N (what cluster.procs.cpu_to_converge_s counts):
// its CPU by origin (npm package, node, ww layer) and by function (self and inclusive), the CPU the kernel counted
// for the whole process in that window beside it (the profile sees the main thread's JavaScript only).
// Run: node --import ./dist/src/polyfill.js dist/bench/cluster/wave-profile.js [N]   (WW_BENCH_TOP: rows, default 25)
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { printSummary, summarize } from './cpu-profile.js'
import { NodeProcess } from './node-process.js'
import { cpuSeconds } from './proc-stats.js'

const n = Number(process.argv[2] ?? process.env.WW_BENCH_NODES ?? 20)
const top = Number(process.env.WW_BENCH_TOP ?? 25)
const dirs = [mkdtempSync(join(tmpdir(), 'ww-bench-prof-')), mkdtempSync(join(tmpdir(), 'ww-bench-prof-'))]
// performance.now() (the bench's clock for upAt) to the monotonic microseconds of process.hrtime, which profiles use.
const hrOffsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000
const profiling = (i: number): string[] => ['--cpu-prof', `--cpu-prof-dir=${dirs[i]}`]

const first = await NodeProcess.launch([], profiling(0))
const nodes = [first, ...await Promise.all([
  NodeProcess.launch(['--bootstrap', first.addr], profiling(1)),
  ...Array.from({ length: n - 2 }, async () => await NodeProcess.launch(['--bootstrap', first.addr]))
])]
try {
  const cpuAtUp = nodes.map(x => x.startupCpu)
  await Promise.all(nodes.map(async x => await x.watch()))
  const all = (hosts: Set<string>): boolean => nodes.every(x => hosts.has(x.peer))
  const converged = await Promise.all(nodes.map(async x => await x.until(all, 180_000)))
  if (converged.some(t => t === undefined)) throw new Error('the cluster did not converge in 180 s')
  const at = Math.max(...converged as number[])
  const cpu = nodes.map((x, i) => cpuSeconds(x.pid) - cpuAtUp[i])
  console.log(`${n} nodes: CPU from API socket to convergence, per node: mean ${(cpu.reduce((s, x) => s + x, 0) / n).toFixed(3)} s, node 0 ${cpu[0].toFixed(3)} s, node 1 ${cpu[1].toFixed(3)} s`)
  for (const i of [0, 1]) {
    await nodes[i].stop('SIGTERM')
    const file = readdirSync(dirs[i]).find(f => f.endsWith('.cpuprofile'))
    if (file === undefined) throw new Error(`no profile in ${dirs[i]}`)
    const from = nodes[i].upAt * 1000 + hrOffsetUs
    const to = at * 1000 + hrOffsetUs
    const s = summarize(join(dirs[i], file), from, to)
    const busy = s.totalMs - (s.origins.find(([k]) => k === '(idle)')?.[1] ?? 0)
    console.log(`\nnode ${i}: ${((to - from) / 1e6).toFixed(2)} s from its API socket to convergence; JavaScript thread busy ${busy.toFixed(0)} ms (process CPU ${(cpu[i] * 1000).toFixed(0)} ms)`)
    printSummary(s, top, ms => `${ms.toFixed(1).padStart(7)} ms`)
  }
} finally {
  await Promise.all(nodes.map(async x => { await x.stop('SIGTERM'); x.cleanup() }))
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
process.exit(0)
