// Starts N `ww start` processes as procs.ts does, waits until each lists all, prints their pids, and holds them
// until killed (for strace/perf on an idle cluster). Run: node --import ./dist/src/polyfill.js dist/bench/cluster/hold.js N
import { NodeProcess } from './node-process.js'

const n = Number(process.argv[2] ?? 5)
const first = await NodeProcess.launch()
const nodes = [first, ...await Promise.all(Array.from({ length: n - 1 }, async () => await NodeProcess.launch(['--bootstrap', first.addr])))]
await Promise.all(nodes.map(async x => await x.watch()))
const all = (hosts: Set<string>): boolean => nodes.every(x => hosts.has(x.peer))
await Promise.all(nodes.map(async x => await x.until(all, 180_000)))
console.log('converged', nodes.map(x => x.pid).join(' '))
const stop = async (): Promise<void> => { await Promise.all(nodes.map(async x => { await x.stop('SIGTERM'); x.cleanup() })); process.exit(0) }
process.on('SIGTERM', () => { void stop() })
process.on('SIGINT', () => { void stop() })
setInterval(() => {}, 1 << 30)
