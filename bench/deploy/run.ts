// Deployment benchmark as a user runs it: N `ww start` processes (bin/ww, own homes, 127.0.0.1, default TTL, members
// granted exec), the first alone, the rest bootstrapped to it; `ww deploy` run as a subprocess. Prints:
//   deploy.place_100_on_20_s   from launching `ww deploy NAME idle.wasm --replicas 100` on node 0 until the hosts
//                              report 100 replicas running (the module already cached on every host: a --per-host
//                              deployment of it ran and was undeployed first); goal ≤ 3 s. Beside it, the reference:
//                              `ww run -d` of the same module on node 0, one proc, from launch to its ID printed.
//   deploy.reschedule_s        SIGKILL a host running replicas: until the others report all 100 running again; goal ≤
//                              TTL + 2 s. Beside it, the TTL and the reference: until node 0's membership dropped it.
// WW_BENCH_NODES (default 20) and WW_BENCH_REPLICAS (default 100) change the sizes (the names keep the defaults').
// Run: make bench-deploy   (or node --import ./dist/src/polyfill.js dist/bench/deploy/run.js)
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { resolveHome } from '../../src/host/home.js'
import { Connection } from '../../src/rpc/index.js'
import { HostClient } from '../../src/schema/host.rpc.js'
import { connectUnix } from '../../src/transport/index.js'
import { NodeProcess } from '../cluster/node-process.js'

const N = Number(process.env.WW_BENCH_NODES ?? 20)
const REPLICAS = Number(process.env.WW_BENCH_REPLICAS ?? 100)
const TTL_S = 10 // ww start's default --ttl
const ww = fileURLToPath(new URL('../../../bin/ww', import.meta.url))
const idle = fileURLToPath(new URL('../../../guest/build/idle.wasm', import.meta.url))

async function run (...args: string[]): Promise<string> {
  const child = spawn(ww, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', d => { out += String(d) })
  child.stderr.on('data', d => { err += String(d) })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  if (code !== 0) throw new Error(`ww ${args.join(' ')} failed (${code}): ${err}`)
  return out
}

/** One API connection per node, asking it for the replicas it runs. */
class Reporter {
  private constructor (readonly node: NodeProcess, private readonly conn: Connection, private readonly host: HostClient) {}
  static async open (node: NodeProcess): Promise<Reporter> {
    const conn = new Connection(await connectUnix(resolveHome(node.home).apiSocket), { name: 'bench' })
    return new Reporter(node, conn, conn.bootstrap(HostClient))
  }

  async running (name: string): Promise<number> {
    using d = this.host.deployments()
    using ans = d.pipeline.deployments.local()
    return [...(await ans).replicas].filter(r => r.deployment === name && r.state === 'running').length
  }

  /** What its replicas are doing (for a benchmark that waited in vain). */
  async states (): Promise<string> {
    using d = this.host.deployments()
    using ans = d.pipeline.deployments.local()
    return [...(await ans).replicas].map(r => `${r.deployment}#${r.index} ${r.state} ${r.lastExit}`).join('; ')
  }

  close (): void { this.host.release(); this.conn.close('done') }
}

async function total (reporters: Reporter[], name: string): Promise<number> {
  const counts = await Promise.all(reporters.map(async r => await r.running(name).catch(() => 0)))
  return counts.reduce((a, b) => a + b, 0)
}

/** performance.now() once `cond` holds (polled every 20 ms), or throws after timeoutMs. */
async function until (what: string, cond: () => Promise<boolean>, timeoutMs = 120_000): Promise<number> {
  const start = performance.now()
  while (!(await cond())) {
    if (performance.now() - start > timeoutMs) throw new Error(`waited ${timeoutMs} ms for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return performance.now()
}

const launched: NodeProcess[] = []
const reporters: Reporter[] = []
try {
  const grant = ['--grant', 'members=read,write,exec']
  const first = await NodeProcess.launch(grant)
  await first.watch()
  launched.push(first)
  const rest = await Promise.all(Array.from({ length: N - 1 }, async () => {
    const node = await NodeProcess.launch([...grant, '--bootstrap', first.addr])
    launched.push(node)
    await node.watch()
    return node
  }))
  const nodes = [first, ...rest]
  for (const n of nodes) {
    if (await n.until(h => h.size === N, 180_000) === undefined) throw new Error(`node ${n.peer} did not list ${N} hosts`)
  }
  for (const n of nodes) reporters.push(await Reporter.open(n))
  const home = ['--home', first.home]

  // every host caches and prepares the module, and forgets the deployment
  await run('deploy', 'warm', idle, '--per-host', ...home)
  await until('the warm-up on every host', async () => await total(reporters, 'warm') === N, 300_000)
  await run('undeploy', 'warm', ...home)
  await until('the warm-up gone', async () => await total(reporters, 'warm') === 0)

  let t0 = performance.now()
  await run('run', '-d', idle, ...home)
  const oneRun = (performance.now() - t0) / 1000

  t0 = performance.now()
  await run('deploy', 'bench', idle, '--replicas', String(REPLICAS), ...home)
  const placed = (await until(`${REPLICAS} replicas running`, async () => await total(reporters, 'bench') === REPLICAS) - t0) / 1000
  console.log(`deploy.place_100_on_20_s: ${placed.toFixed(2)}   (${REPLICAS} replicas on ${N} hosts; goal ≤ 3 s; reference: ww run -d of one proc ${oneRun.toFixed(2)} s)`)

  // kill a host (not node 0, which the benchmark asks) that runs replicas
  const counts = await Promise.all(reporters.slice(1).map(async r => await r.running('bench')))
  const victimAt = 1 + counts.findIndex(c => c > 0)
  const victim = nodes[victimAt]
  const others = reporters.filter((_, i) => i !== victimAt)
  t0 = performance.now()
  const seenGone = first.until(h => !h.has(victim.peer), 60_000)
  victim.child.kill('SIGKILL')
  const rescheduled = (await until('replicas rescheduled', async () => await total(others, 'bench') === REPLICAS) - t0) / 1000
  const gone = ((await seenGone ?? NaN) - t0) / 1000
  console.log(`deploy.reschedule_s: ${rescheduled.toFixed(2)}   (${counts[victimAt - 1]} replicas of a host killed with -9; TTL ${TTL_S} s, goal ≤ ${TTL_S + 2} s; reference: node 0 dropped the host after ${gone.toFixed(2)} s)`)
} catch (err) {
  console.error(String(err))
  for (const r of reporters) console.error(`  ${r.node.peer}: ${await r.states().catch(e => String(e))}`)
  process.exitCode = 1
} finally {
  for (const r of reporters) r.close()
  await Promise.all(launched.map(async n => { await n.stop().catch(() => {}); n.cleanup() }))
}
