// make bench-proc: the proc runtime's figures, each beside a reference measured in the same run.
//   proc.spawn.over_instantiate  spawn p50 (cached module, to the guest's first ww call) / p50 of plain
//                                `new WebAssembly.Instance` (target <= 2)
//   proc.spawn_isolated_us       p50 of the same spawn after the node idled 50 ms (target <= 200)
//   proc.spawn.no_spare.*        the same with no spare instances (maxSpareInstances 0): every spawn instantiates
//   proc.idle_per_gib            idle procs (blocked in recv) per GiB of RSS
//   proc.chan.local_msgs_s       guest-to-guest messages/s through a local channel (ping/echo) on a real node (its
//                                Executor, as `ww run`: cluster world, channels served as capabilities; in a process of
//                                its own, node-local.ts), and the same ping-pong between two plain JS tasks on a Chan in
//                                that process as the reference; *_cpu_us_per_msg and local_cpu.over_js the same in CPU
//                                per message; .in_process_world the same guests in the bare LocalWorld in this process
//   proc.chan.local_drain_msgs_s messages/s JS -> a guest that only receives (inbox of 16: a guest finds
//                                them buffered), beside the same into a JS task
//   *.no_poll                    the same guests with recv always suspending (no Chan.poll fast path)
//   proc.chan.local.over_js      the node's guests' ping-pong over the JS tasks' of the node's process (target >= 0.3;
//                                also as local_over_js); local.over_in_process_js over the JS tasks of this process, which
//                                run about twice as fast as beside a running node. The JS tasks do what ping.c and echo.c
//                                do: fresh bytes "ping I" with the reply sender, a fresh copy back, checked by the pinger
//   proc.chan.local_request.*    the same ping-pong with ping's ww_request (a fresh reply slot per round trip)
//   proc.asyncify_roundtrip.*    the floor: a guest that only suspends and resumes (ww_recv on a resolved promise, no
//                                channel), suspensions/s and over the JS tasks' messages/s; local.over_floor beside it
//                                (above 1 when the guests suspend less than once per message: parked.ts)
//   proc.chan.remote_msgs_s      the same across two nodes (remote.ts), beside the one-node figure
//   proc.chan.remote.over_rpc    the guests' round trips (ww_request: one RPC call each) over a plain RPC round trip on
//                                the same link (target >= 0.7); remote_send_recv.over_rpc the same with ww_send carrying a
//                                reply sender and ww_recv; *_cpu.over_rpc the CPU per round trip over the RPC call's
//   proc.max_idle                idle procs one node held (target >= 10,000; needs --disable-wasm-trap-handler)
//   proc.cold_start_s            the first `ww run` of hello.wasm on a fresh home, through the CLI (cold.ts; target <= 2),
//   proc.cold_start.over_compile and against plain WebAssembly.compile of the same module
// WW_BENCH_ONLY=local,remote (any of cold, spawn, idle, local, remote, max) runs just those parts.

import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Chan } from '../../src/csp/index.js'
import { Executor, LocalWorld, ModuleCache, type GuestWorld, type Proc, type SenderCap, type WorldContext } from '../../src/proc/index.js'
import { coldStart } from './cold.js'
import { jsPingPong, nodeLocalRounds, type Rate } from './node-local.js'
import { remoteChannel } from './remote.js'

const here = dirname(fileURLToPath(import.meta.url))
const BUILD = resolve(here, '../../../guest/build')
const SPAWN_SAMPLES = Number(process.env.WW_BENCH_SPAWNS ?? 500)
const ISOLATED_SAMPLES = Number(process.env.WW_BENCH_ISOLATED_SPAWNS ?? 60)
const ISOLATED_IDLE_MS = 50
const IDLE_SAMPLE = Number(process.env.WW_BENCH_IDLE ?? 2000)
const MAX_IDLE_TARGET = Number(process.env.WW_BENCH_MAX_IDLE ?? 20000)
const ROUND_TRIPS = Number(process.env.WW_BENCH_ROUND_TRIPS ?? 20000)
const LOCAL_ROUNDS = Number(process.env.WW_BENCH_LOCAL_ROUNDS ?? 5)
const PARTS = new Set((process.env.WW_BENCH_ONLY ?? 'cold,spawn,idle,local,remote,max').split(',').map(s => s.trim()))

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

/**
 * Resolves when the spawned idle guest makes its first ww call (ww_chan): the guest is running. The hook is an own
 * property set the same way on every world (one object shape), not a new prototype per proc, which would cost every
 * spawn a fresh hidden class and make the world's calls megamorphic: the harness would measure itself.
 */
let guestRan: (() => void) | undefined
const runningWorld = (ctx: WorldContext): GuestWorld => {
  const w = world.forProc(ctx)
  const chan = w.chan.bind(w)
  w.chan = (capacity: number) => { guestRan?.(); return chan(capacity) }
  return w
}

/** From the spawn call to the guest's first ww call. */
async function spawnToRunning (executor: Executor, hash: Uint8Array): Promise<{ ms: number, proc: Proc }> {
  const ran = new Promise<number>(resolve => { guestRan = () => { resolve(performance.now()) } })
  const t = performance.now()
  const proc = await executor.spawn({ module: { hash } })
  const ms = await ran - t
  guestRan = undefined
  return { ms, proc }
}

/** Spawn to running, back to back and isolated, with its plain-instantiation references; prints `prefix`.* lines. */
async function spawnLatency (executor: Executor, prefix = 'proc.spawn', reference = true): Promise<void> {
  const bytes = guest('idle')
  const hash = await executor.moduleCache.add(bytes)
  const plain = await WebAssembly.compile(bytes as BufferSource)
  const imports = stubImports(plain)
  const base: number[] = []
  const ours: number[] = []
  const returned: number[] = []
  const isolated: number[] = []
  const procs: Proc[] = []
  for (let i = 0; i < 50; i++) { new WebAssembly.Instance(plain, imports); procs.push((await spawnToRunning(executor, hash)).proc) } // warm up
  for (let i = 0; i < SPAWN_SAMPLES; i++) {
    let t = performance.now()
    const inst = new WebAssembly.Instance(plain, imports)
    base.push(performance.now() - t)
    void inst
    t = performance.now()
    const s = await spawnToRunning(executor, hash)
    ours.push(s.ms)
    procs.push(s.proc)
  }
  for (let i = 0; i < SPAWN_SAMPLES / 5; i++) { // spawn returning, not waiting for the guest
    const t = performance.now()
    procs.push(await executor.spawn({ module: { hash } }))
    returned.push(performance.now() - t)
  }
  const isolatedBase: number[] = []
  for (let i = 0; i < ISOLATED_SAMPLES; i++) {
    await new Promise(resolve => setTimeout(resolve, ISOLATED_IDLE_MS))
    const s = await spawnToRunning(executor, hash)
    isolated.push(s.ms)
    procs.push(s.proc)
    await new Promise(resolve => setTimeout(resolve, ISOLATED_IDLE_MS))
    const t = performance.now()
    const inst = new WebAssembly.Instance(plain, imports)
    isolatedBase.push(performance.now() - t)
    void inst
  }
  for (const p of procs) p.kill()
  await Promise.all(procs.map(async p => await p.wait()))
  const spares = `${executor.spares.taken} of ${50 + SPAWN_SAMPLES + SPAWN_SAMPLES / 5 + ISOLATED_SAMPLES} spawns took a spare instance`
  line(`${prefix}.p50_us`, p50(ours) * 1000, `cached module, back to back, to the guest running (its first ww call); ${spares}`)
  line(`${prefix}.returned_p50_us`, p50(returned) * 1000, 'the same, to spawn() returning (no spare: each spawn comes before the last one ran)')
  if (reference) line('proc.spawn.plain_instantiate_p50_us', p50(base) * 1000)
  line(`${prefix}.over_instantiate`, p50(ours) / p50(base), reference ? 'to running; target <= 2' : 'to running')
  const isolatedName = prefix === 'proc.spawn' ? 'proc.spawn_isolated_us' : `${prefix}.isolated_us`
  line(isolatedName, p50(isolated) * 1000, `p50 of ${ISOLATED_SAMPLES}, each after the node idled ${ISOLATED_IDLE_MS} ms, to running${reference ? '; target <= 200' : ''}`)
  if (reference) line('proc.spawn.isolated_plain_instantiate_us', p50(isolatedBase) * 1000, 'plain instantiation after the same idle')
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

async function pingPongRate (executor: Executor, box: string): Promise<number> {
  const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: [box] })
  let out = ''
  const ping = await executor.spawn({ module: { bytes: guest('ping') }, args: [box, String(ROUND_TRIPS)], stdout: c => { out += new TextDecoder().decode(c) } })
  const st = await ping.wait()
  echo.kill()
  await echo.wait()
  const m = /in (\d+) us/.exec(out)
  if (st.code !== 0 || m === null) throw new Error(`ping failed: ${st.message} ${out}`)
  return 2 * ROUND_TRIPS / (Number(m[1]) / 1e6)
}

/**
 * The floor under any guest-to-guest channel: a guest (echo) whose every ww_recv suspends and resumes through
 * asyncify on a promise that is already resolved, with no channel behind it. Suspensions/s; a ping-pong message
 * costs the guest that receives it one suspension, so this bounds the guests' messages/s.
 */
async function asyncifyRoundTrips (n: number): Promise<number> {
  const data = new Uint8Array(8)
  const msg = Promise.resolve({ data })
  const floorWorld = (ctx: WorldContext): GuestWorld => {
    const w = world.forProc(ctx)
    w.chan = () => ({ kind: 'chan', send: async () => {}, recv: async () => await msg, close: () => {} })
    return w
  }
  const ex = new Executor({ cache, world: floorWorld })
  const t = performance.now()
  const p = await ex.spawn({ module: { bytes: guest('echo') }, args: ['/peer/floor', String(n)] })
  const st = await p.wait()
  const ms = performance.now() - t
  if (st.code !== 0 || p.suspensions < n) throw new Error(`the floor guest failed: ${st.message} after ${p.suspensions} suspensions`)
  return p.suspensions / (ms / 1000)
}

async function jsDrain (n: number): Promise<number> {
  const box = new Chan<{ data: Uint8Array }>(16)
  const data = new Uint8Array(8)
  const t = performance.now()
  const drain = (async () => { for (let i = 0; i < n; i++) await box.recv() })()
  for (let i = 0; i < n; i++) await box.send({ data })
  await drain
  return n / ((performance.now() - t) / 1000)
}

/** JS sends into a guest's inbox (capacity 16) as fast as it takes them; the guest only receives. */
async function drainRate (executor: Executor, box: string): Promise<{ msgs: number, suspensions: number }> {
  const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: [`/peer/${box}`, String(ROUND_TRIPS)] })
  let sender: SenderCap | undefined
  while (sender === undefined) {
    const root = world.tree.root()
    try {
      const v = root.walk(`/bench/${box}`).load()
      if (v?.kind === 'sender') sender = v.cap as SenderCap
    } finally { root.release() }
    if (sender === undefined) await new Promise(resolve => setTimeout(resolve, 10))
  }
  const data = new Uint8Array(8)
  const t = performance.now()
  for (let i = 0; i < ROUND_TRIPS; i++) await sender.send({ data })
  const st = await echo.wait()
  const ms = performance.now() - t
  if (st.code !== 0) throw new Error(`echo failed: ${st.message}`)
  return { msgs: ROUND_TRIPS / (ms / 1000), suspensions: echo.suspensions }
}

/**
 * Guest-to-guest ping-pong on a real node (what `ww run` gets: the node's Executor, cluster world, channels served as
 * capabilities; in a process of its own, node-local.ts) and here in the bare in-process world (LocalWorld: channels of
 * guest Caps, no capability scope), with and without the no-suspend recv; JS-to-guest draining; each beside the JS
 * tasks' ping-pong of its own process and the asyncify floor, alternating.
 */
async function localChannel (executor: Executor, noPoll: Executor): Promise<void> {
  const onNode = await nodeLocalRounds(BUILD, LOCAL_ROUNDS, ROUND_TRIPS)
  const pp: number[] = []
  const ppNoPoll: number[] = []
  const dr: number[] = []
  const drNoPoll: number[] = []
  let susp = 0
  let suspNoPoll = 0
  for (const ex of [executor, noPoll]) { await pingPongRate(ex, `/peer/box-warm-${ex === noPoll}`); await drainRate(ex, `drain-warm-${ex === noPoll}`) } // JIT warm-up
  const refs: Rate[] = []
  const floors: number[] = []
  await jsPingPong(ROUND_TRIPS) // JIT warm-up
  await asyncifyRoundTrips(ROUND_TRIPS)
  for (let round = 0; round < LOCAL_ROUNDS; round++) {
    refs.push(await jsPingPong(ROUND_TRIPS))
    floors.push(await asyncifyRoundTrips(2 * ROUND_TRIPS))
    pp.push(await pingPongRate(executor, `/peer/box-${round}`))
    ppNoPoll.push(await pingPongRate(noPoll, `/peer/box-np-${round}`))
    const a = await drainRate(executor, `drain-${round}`)
    const b = await drainRate(noPoll, `drain-np-${round}`)
    dr.push(a.msgs); drNoPoll.push(b.msgs); susp = a.suspensions; suspNoPoll = b.suspensions
  }
  const ref = p50(refs.map(r => r.msgs))
  const nodeMsgs = p50(onNode.map(r => r.node.msgs))
  const nodeRef = p50(onNode.map(r => r.js.msgs))
  const nodeCpu = p50(onNode.map(r => r.node.cpuUs))
  const nodeRefCpu = p50(onNode.map(r => r.js.cpuUs))
  const drRef = await jsDrain(ROUND_TRIPS)
  const rounds = `median of ${LOCAL_ROUNDS} alternating rounds`
  line('proc.chan.local_msgs_s', Math.round(nodeMsgs), `${ROUND_TRIPS} round trips ping<->echo, guest to guest on a real node (its Executor, as ww run; a process of its own); ${rounds}`)
  line('proc.chan.js_reference_msgs_s', Math.round(nodeRef), 'the same ping-pong between two JS tasks, in the same process and rounds')
  line('proc.chan.local_over_js', nodeMsgs / nodeRef)
  line('proc.chan.local.over_js', nodeMsgs / nodeRef, 'target >= 0.3')
  const reqMsgs = p50(onNode.map(r => r.request.msgs))
  line('proc.chan.local_request_msgs_s', Math.round(reqMsgs), 'the same with ping\'s ww_request (a fresh reply slot per round trip) instead of ww_send with one reply sender and ww_recv')
  line('proc.chan.local_request.over_js', reqMsgs / nodeRef)
  line('proc.chan.local_cpu_us_per_msg', nodeCpu, 'CPU of the node\'s process per message (both guests); the JS tasks\' beside it')
  line('proc.chan.js_reference_cpu_us_per_msg', nodeRefCpu)
  line('proc.chan.local_cpu.over_js', nodeRefCpu / nodeCpu, 'the same ratio in CPU per message (less sensitive to a loaded machine)')
  line('proc.chan.local_msgs_s.in_process_world', Math.round(p50(pp)), `the same guests here in the bare in-process world (LocalWorld: no capabilities behind the channels); ${rounds}`)
  line('proc.chan.local_msgs_s.no_poll', Math.round(p50(ppNoPoll)), 'the same in-process, recv always suspending')
  line('proc.chan.in_process_js_reference_msgs_s', Math.round(ref), 'the JS tasks\' ping-pong in this process, in the same rounds')
  line('proc.chan.local.in_process_world.over_js', p50(pp) / ref)
  line('proc.chan.local.over_in_process_js', nodeMsgs / ref, 'the node\'s guests over the JS tasks of this process, which run about twice as fast as on a running node (their Chan code is not shared with a node\'s)')
  line('proc.asyncify_roundtrip_s', Math.round(p50(floors)), 'a guest suspending and resuming in ww_recv on a resolved promise, no channel: the floor of one suspension per message')
  line('proc.asyncify_roundtrip.over_js', p50(floors) / ref, 'over the JS tasks of this process: the most local.over_js could be with one suspension per message')
  line('proc.chan.local.over_floor', nodeMsgs / p50(floors), 'the node\'s guests\' messages/s over that floor (above 1: fewer suspensions than messages)')
  line('proc.chan.local_drain_msgs_s', Math.round(p50(dr)), `${ROUND_TRIPS} messages from JS into a guest's inbox of 16, the guest only receives (${susp} suspensions)`)
  line('proc.chan.local_drain_msgs_s.no_poll', Math.round(p50(drNoPoll)), `the same, recv always suspending (${suspNoPoll} suspensions)`)
  line('proc.chan.js_drain_reference_msgs_s', Math.round(drRef), 'the same into a JS task')
  line('proc.chan.local_drain_over_no_poll', p50(dr) / p50(drNoPoll))
  line('proc.chan.local_drain_over_js', p50(dr) / drRef)
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
const cache = new ModuleCache()
const executor = new Executor({ cache, world: world.forProc, limits: { maxProcs: 1_000_000, maxGuestMemoryBytes: Infinity } })
/** The same world with the no-suspend recv switched off: the in-run reference for it. */
const noPollWorld = (ctx: WorldContext): GuestWorld => {
  const w = world.forProc(ctx)
  return Object.assign(Object.create(w) as GuestWorld, { chan: (capacity: number) => ({ ...w.chan(capacity), tryRecv: undefined, recvThen: undefined }) })
}
const noPoll = new Executor({ cache, world: noPollWorld })
if (PARTS.has('cold')) await coldStart(line, BUILD)
if (PARTS.has('spawn')) {
  await spawnLatency(new Executor({ cache, world: runningWorld, limits: { maxProcs: 1_000_000, maxGuestMemoryBytes: Infinity } }))
  // the same without spare instances: every spawn instantiates
  await spawnLatency(new Executor({ cache, world: runningWorld, limits: { maxProcs: 1_000_000, maxGuestMemoryBytes: Infinity, maxSpareInstances: 0 } }), 'proc.spawn.no_spare', false)
}
if (PARTS.has('idle')) await idleMemory(executor)
if (PARTS.has('local')) await localChannel(executor, noPoll)
if (PARTS.has('remote')) await remoteChannel(line, BUILD)
if (PARTS.has('max')) await maxIdle(executor)
process.exit(0)
