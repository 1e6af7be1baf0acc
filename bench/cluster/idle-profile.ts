// Where an idle node's time goes, and which connections open after convergence: N `ww start` processes
// (WW_BENCH_NODES, default 10) as in procs.ts, node 1 run with --cpu-prof. Once every node lists all N, an idle
// window (WW_BENCH_IDLE_S, default 30 s): prints the profiled node's CPU in that window by function (self and
// inclusive) and by origin (npm package, node, ww layer), and every TCP connection any node opened in it, with the
// node that dialed and the node dialed. WW_BENCH_SETTLE_S: wait this long after convergence before the window.
// Run: node --import ./dist/src/polyfill.js dist/bench/cluster/idle-profile.js [N]
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConnectionWatch } from './connections.js'
import { printSummary, summarize } from './cpu-profile.js'
import { NodeProcess } from './node-process.js'

const n = Number(process.argv[2] ?? process.env.WW_BENCH_NODES ?? 10)
const idleS = Number(process.env.WW_BENCH_IDLE_S ?? 30)
// Seconds to wait after convergence before the window starts.
const settleS = Number(process.env.WW_BENCH_SETTLE_S ?? 0)
const top = Number(process.env.WW_BENCH_TOP ?? 25)
const profileDir = mkdtempSync(join(tmpdir(), 'ww-bench-prof-'))
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

const first = await NodeProcess.launch()
const profiled = NodeProcess.launch(['--bootstrap', first.addr], ['--cpu-prof', `--cpu-prof-dir=${profileDir}`])
const nodes = [first, ...await Promise.all([profiled, ...Array.from({ length: n - 2 }, async () => await NodeProcess.launch(['--bootstrap', first.addr]))])]
try {
  await Promise.all(nodes.map(async x => await x.watch()))
  const all = (hosts: Set<string>): boolean => nodes.every(x => hosts.has(x.peer))
  const converged = await Promise.all(nodes.map(async x => await x.until(all, 180_000)))
  if (converged.some(t => t === undefined)) throw new Error('the cluster did not converge in 180 s')
  const byPid = new Map(nodes.map((x, i) => [x.pid, i]))
  const byPort = new Map(nodes.map((x, i) => [/\/tcp\/(\d+)/.exec(x.addr)![1], i]))
  await new Promise(resolve => setTimeout(resolve, settleS * 1000))
  const from = nowUs()
  const watch = new ConnectionWatch(new Set(byPid.keys()), 500)
  await new Promise(resolve => setTimeout(resolve, idleS * 1000))
  const { opened, closed } = watch.stop()
  const to = nowUs()
  const side = (c: { pid: number, local: string }): boolean => byPort.get(c.local.split(':').pop()!) !== byPid.get(c.pid)
  console.log(`TCP connections in the ${idleS} s idle window from ${settleS} s after convergence (${n} nodes): ${opened.filter(side).length} opened, ${closed.filter(side).length} closed`)
  for (const c of opened) {
    const localPort = c.local.split(':').pop()!
    const remotePort = c.remote.split(':').pop()!
    const self = byPid.get(c.pid)!
    if (byPort.get(localPort) === self) continue // the accepting side: listed from the dialer's side
    console.log(`  node ${self} dialed node ${byPort.get(remotePort) ?? `? (${c.remote})`}`)
  }
  await nodes[1].stop('SIGTERM')
  const file = readdirSync(profileDir).find(f => f.endsWith('.cpuprofile'))
  if (file === undefined) throw new Error(`no profile in ${profileDir}`)
  const s = summarize(join(profileDir, file), from, to)
  console.log(`node 1 CPU in the idle window: ${s.totalMs.toFixed(0)} ms of ${((to - from) / 1000).toFixed(0)} ms (${(s.totalMs / (to - from) * 1e5).toFixed(2)} %)`)
  printSummary(s, top, ms => `${(ms / s.totalMs * 100).toFixed(1).padStart(5)} %`)
} finally {
  await Promise.all(nodes.map(async x => { await x.stop('SIGTERM'); x.cleanup() }))
  rmSync(profileDir, { recursive: true, force: true })
}
process.exit(0)
