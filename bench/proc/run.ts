// make bench-proc: the proc runtime's figures, each beside a reference measured in the same run.
//   proc.spawn.over_instantiate  spawn p50 (cached module) / p50 of plain `new WebAssembly.Instance` (target <= 3)
//   proc.idle_per_gib            idle procs (blocked in recv) per GiB of RSS
//   proc.chan.local_msgs_s       guest-to-guest messages/s through a local channel (ping/echo), and the
//                                same ping-pong between two plain JS tasks on a Chan as the reference
//   proc.chan.remote_msgs_s      the same across two nodes (remote.ts), beside the one-node figure
//   proc.max_idle                idle procs one node held (target >= 10,000; needs --disable-wasm-trap-handler)

import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Chan } from '../../src/csp/index.js'
import { Executor, LocalWorld, ModuleCache, type Proc } from '../../src/proc/index.js'
import { remoteChannel } from './remote.js'

const here = dirname(fileURLToPath(import.meta.url))
const BUILD = resolve(here, '../../../guest/build')
const SPAWN_SAMPLES = Number(process.env.WW_BENCH_SPAWNS ?? 500)
const IDLE_SAMPLE = Number(process.env.WW_BENCH_IDLE ?? 2000)
const MAX_IDLE_TARGET = Number(process.env.WW_BENCH_MAX_IDLE ?? 20000)
const ROUND_TRIPS = Number(process.env.WW_BENCH_ROUND_TRIPS ?? 20000)

const guest = (name: string): Uint8Array => new Uint8Array(readFileSync(join(BUILD, `${name}.wasm`)))
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const settle = async (): Promise<void> => { for (let i = 0; i < 3; i++) { gc(); await new Promise(resolve => setTimeout(resolve, 20)) } }

function line (name: string, value: number | string, note = ''): void {
  process.stdout.write(`${name}: ${typeof value === 'number' ? +value.toPrecision(4) : value}${note === '' ? '' : `  (${note})`}\n`)
}

function stubImports (mod: WebAssembly.Module): WebAssembly.Imports {
  const imports: Record<string, Record<string, () => number>> = {}
  for (const imp of WebAssembly.Module.imports(mod)) {
    imports[imp.module] ??= {}
    imports[imp.module][imp.name] = () => 0
  }
  return imports
}

async function spawnLatency (executor: Executor): Promise<void> {
  const bytes = guest('idle')
  const hash = await executor.moduleCache.add(bytes)
  const plain = await WebAssembly.compile(bytes as BufferSource)
  const imports = stubImports(plain)
  const base: number[] = []
  const ours: number[] = []
  const procs: Proc[] = []
  for (let i = 0; i < 50; i++) { new WebAssembly.Instance(plain, imports); procs.push(await executor.spawn({ module: { hash } })) } // warm up
  for (let i = 0; i < SPAWN_SAMPLES; i++) {
    let t = performance.now()
    const inst = new WebAssembly.Instance(plain, imports)
    base.push(performance.now() - t)
    void inst
    t = performance.now()
    procs.push(await executor.spawn({ module: { hash } }))
    ours.push(performance.now() - t)
  }
  for (const p of procs) p.kill()
  await Promise.all(procs.map(async p => await p.wait()))
  line('proc.spawn.p50_us', p50(ours) * 1000)
  line('proc.spawn.plain_instantiate_p50_us', p50(base) * 1000)
  line('proc.spawn.over_instantiate', p50(ours) / p50(base), 'target <= 3')
}

async function spawnIdle (executor: Executor, hash: Uint8Array, n: number, procs: Proc[]): Promise<void> {
  for (let i = 0; i < n; i++) procs.push(await executor.spawn({ module: { hash } }))
  while (!procs.every(p => p.suspensions > 0 || p.state === 'exited')) await new Promise(resolve => setImmediate(resolve))
}

async function idleMemory (executor: Executor): Promise<void> {
  const hash = await executor.moduleCache.add(guest('idle'))
  await settle()
  const before = process.memoryUsage().rss
  const procs: Proc[] = []
  await spawnIdle(executor, hash, IDLE_SAMPLE, procs)
  await settle()
  const per = (process.memoryUsage().rss - before) / IDLE_SAMPLE
  line('proc.idle_rss_kib', per / 1024, `${IDLE_SAMPLE} procs blocked in recv`)
  line('proc.idle_per_gib', Math.floor(2 ** 30 / per))
  for (const p of procs) p.kill()
  await Promise.all(procs.map(async p => await p.wait()))
}

async function jsPingPong (n: number): Promise<number> {
  const box = new Chan<{ data: number, reply: Chan<number> }>(16)
  const reply = new Chan<number>(1)
  const echo = (async () => { for (let i = 0; i < n; i++) { const m = await box.recv(); await m.reply.send(m.data) } })()
  const t = performance.now()
  for (let i = 0; i < n; i++) { await box.send({ data: i, reply }); await reply.recv() }
  const ms = performance.now() - t
  await echo
  return 2 * n / (ms / 1000)
}

async function localChannel (executor: Executor): Promise<void> {
  const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: ['/peer/bench-mailbox'] })
  let out = ''
  const ping = await executor.spawn({ module: { bytes: guest('ping') }, args: ['/peer/bench-mailbox', String(ROUND_TRIPS)], stdout: c => { out += new TextDecoder().decode(c) } })
  const st = await ping.wait()
  echo.kill()
  const m = /in (\d+) us/.exec(out)
  if (st.code !== 0 || m === null) throw new Error(`ping failed: ${st.message} ${out}`)
  const msgs = 2 * ROUND_TRIPS / (Number(m[1]) / 1e6)
  const ref = await jsPingPong(ROUND_TRIPS)
  line('proc.chan.local_msgs_s', Math.round(msgs), `${ROUND_TRIPS} round trips ping<->echo, guest to guest`)
  line('proc.chan.js_reference_msgs_s', Math.round(ref), 'the same ping-pong between two JS tasks')
  line('proc.chan.local_over_js', msgs / ref)
}

async function maxIdle (executor: Executor): Promise<void> {
  const hash = await executor.moduleCache.add(guest('idle'))
  const procs: Proc[] = []
  const t = performance.now()
  let failure = ''
  try {
    const step = 1000
    while (procs.length < MAX_IDLE_TARGET) await spawnIdle(executor, hash, Math.min(step, MAX_IDLE_TARGET - procs.length), procs)
  } catch (err) {
    failure = (err as Error).message
  }
  const held = procs.filter(p => p.state === 'running').length
  line('proc.max_idle', held, failure === '' ? `stopped at the bench's target ${MAX_IDLE_TARGET} in ${((performance.now() - t) / 1000).toFixed(1)} s` : `failed: ${failure}`)
  for (const p of procs) p.kill()
  await Promise.all(procs.map(async p => await p.wait()))
}

const world = new LocalWorld({ peerId: 'bench' })
const executor = new Executor({ cache: new ModuleCache(), world: world.forProc, limits: { maxProcs: 1_000_000 } })
await spawnLatency(executor)
await idleMemory(executor)
await localChannel(executor)
await remoteChannel(line, BUILD)
await maxIdle(executor)
process.exit(0)
