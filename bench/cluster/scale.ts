// make bench-scale: SWIM membership at 1,000 and 10,000 hosts, simulated (scale-world.ts: the real protocol code,
// records and encoding, many hosts in one process over an in-memory network with 1-5 ms latency and 1 % loss,
// on a simulated clock that runs as fast as the CPU allows). Prints one `name: value` line per figure:
//   membership.bytes_per_host_s.N, membership.msgs_per_host_s.N   steady state, SWIM messages and table sync, out per host
//   membership.join_known_99_s.1000      a new host's start (its first table sync) until 99 % of the hosts list it
//   membership.failure_known_99_s.1000   a host's kill until 99 % of the others have removed it
//   membership.false_suspicions_per_h.1000   failed probes of live hosts (each a suspicion) per hour in the whole cluster
import { World, type Host } from './scale-world.js'

const ttlMs = Number(process.env.WW_SCALE_TTL_MS ?? 10_000)
const sizes = (process.env.WW_SCALE_SIZES ?? '1000,10000').split(',').map(Number)
const steadyS = Number(process.env.WW_SCALE_STEADY_S ?? 20)
const soakS = Number(process.env.WW_SCALE_SOAK_S ?? 600)

/** A seeded generator (mulberry32), so runs repeat. */
function seeded (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function quantile (xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]
}

function print (name: string, value: number, note = ''): void {
  console.log(`${name}: ${Number.isInteger(value) ? value : value.toFixed(value < 10 ? 2 : 1)}${note === '' ? '' : `  # ${note}`}`)
}

async function cluster (n: number): Promise<World> {
  const world = new World({ ttlMs, loss: 0.01, minLatencyMs: 1, maxLatencyMs: 5, random: seeded(n) })
  const t0 = Date.now()
  const hosts = await world.addHosts(n, true)
  for (const h of hosts) {
    h.swim.start()
    world.startSync(h, world.random() * world.syncIntervalMs(n))
  }
  process.stderr.write(`bench-scale: ${n} hosts made in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
  return world
}

function sentTotals (hosts: Host[]): { bytes: number, msgs: number, swimBytes: number, swimMsgs: number } {
  let swimBytes = 0
  let swimMsgs = 0
  let syncBytes = 0
  let syncs = 0
  for (const h of hosts) {
    swimBytes += h.swim.stats.sentBytes
    swimMsgs += h.swim.stats.sent
    syncBytes += h.syncBytes
    syncs += h.syncs
  }
  return { bytes: swimBytes + syncBytes, msgs: swimMsgs + syncs, swimBytes, swimMsgs }
}

async function steady (world: World, n: number): Promise<void> {
  const busy = (): boolean => world.inflight > 0
  // Past the start-up: each host starts with a local health of 4 (slow probing) and recovers as its probes succeed.
  const warm = 15_000
  await world.clock.runUntil(warm, busy)
  const before = sentTotals(world.hosts)
  const t0 = Date.now()
  await world.clock.runUntil(warm + steadyS * 1000, busy)
  const after = sentTotals(world.hosts)
  const hostS = n * steadyS
  print(`membership.bytes_per_host_s.${n}`, (after.bytes - before.bytes) / hostS, `B/s out per host over ${steadyS} simulated s (${((Date.now() - t0) / 1000).toFixed(0)} s to simulate), TTL ${ttlMs / 1000} s, 1 % loss; SWIM payload and table-sync frames, without libp2p framing`)
  print(`membership.msgs_per_host_s.${n}`, (after.msgs - before.msgs) / hostS)
  const swimMsgs = after.swimMsgs - before.swimMsgs
  process.stderr.write(`bench-scale: ${n} hosts: SWIM ${((after.swimBytes - before.swimBytes) / hostS).toFixed(0)} B/s and ${(swimMsgs / hostS).toFixed(2)} msgs/s per host ` +
    `(${((after.swimBytes - before.swimBytes) / swimMsgs).toFixed(0)} B each), table sync ${((after.bytes - after.swimBytes - before.bytes + before.swimBytes) / hostS).toFixed(0)} B/s per host\n`)
}

/** Kills hosts one by one; for each, how long until 99 % of the others removed it. */
async function failures (world: World, kills: number): Promise<void> {
  const busy = (): boolean => world.inflight > 0
  const times: number[] = []
  for (let k = 0; k < kills; k++) {
    const victim = world.hosts[Math.floor(world.random() * world.hosts.length)]
    if (!victim.alive) continue
    const killedAt = world.clock.now()
    victim.alive = false
    victim.swim.stop()
    const others = world.hosts.filter(h => h.alive)
    let removed = 0
    let at99 = Infinity
    world.onChange = (h, peer, listed) => {
      if (peer !== victim.peer || listed || !h.alive) return
      if (++removed >= Math.ceil(0.99 * others.length) && at99 === Infinity) at99 = world.clock.now()
    }
    for (let t = 0; t < 6 * ttlMs && at99 === Infinity; t += 100) await world.clock.runUntil(world.clock.now() + 100, busy)
    world.onChange = () => {}
    times.push((at99 - killedAt) / 1000)
    await world.clock.runUntil(world.clock.now() + ttlMs, busy)
  }
  print('membership.failure_known_99_s.1000', quantile(times, 0.5), `median of ${times.length} kills; max ${Math.max(...times).toFixed(2)} s; TTL ${ttlMs / 1000} s`)
}

/** New hosts start one by one, each with a table sync to one random member; how long until 99 % list it. */
async function joins (world: World, count: number): Promise<void> {
  const busy = (): boolean => world.inflight > 0
  const times: number[] = []
  for (let j = 0; j < count; j++) {
    const [joiner] = await world.addHosts(1, false)
    const live = world.hosts.filter(h => h.alive && h !== joiner)
    const startedAt = world.clock.now()
    let known = 0
    let at99 = Infinity
    world.onChange = (h, peer, listed) => {
      if (peer !== joiner.peer || !listed || !h.alive) return
      if (++known >= Math.ceil(0.99 * live.length) && at99 === Infinity) at99 = world.clock.now()
    }
    joiner.swim.start()
    const seed = live[Math.floor(world.random() * live.length)]
    world.pushPull(joiner, seed)
    world.startSync(joiner, clusterSyncSoon)
    for (let t = 0; t < 6 * ttlMs && at99 === Infinity; t += 100) await world.clock.runUntil(world.clock.now() + 100, busy)
    world.onChange = () => {}
    times.push((at99 - startedAt) / 1000)
    await world.clock.runUntil(world.clock.now() + 2_000, busy)
  }
  print('membership.join_known_99_s.1000', quantile(times, 0.5), `median of ${times.length} joins; max ${Math.max(...times).toFixed(2)} s`)
}
const clusterSyncSoon = 250

/** Runs the cluster with loss and no failures; suspicions of live hosts are false ones. */
async function soak (world: World): Promise<void> {
  const busy = (): boolean => world.inflight > 0
  const live = world.hosts.filter(h => h.alive)
  const before = live.reduce((s, h) => s + h.swim.stats.failed, 0)
  const heardBefore = live.reduce((s, h) => s + h.swim.stats.suspected, 0)
  const refutedBefore = live.reduce((s, h) => s + h.swim.stats.refuted, 0)
  let removals = 0
  world.onChange = (h, peer, listed, how) => {
    if (!listed && how === 'suspicion' && h.alive && world.byPeer.get(peer)?.alive === true) removals++
  }
  const t0 = Date.now()
  await world.clock.runUntil(world.clock.now() + soakS * 1000, busy)
  world.onChange = () => {}
  const suspected = live.reduce((s, h) => s + h.swim.stats.failed, 0) - before
  const heard = live.reduce((s, h) => s + h.swim.stats.suspected, 0) - heardBefore
  const refuted = live.reduce((s, h) => s + h.swim.stats.refuted, 0) - refutedBefore
  print('membership.false_suspicions_per_h.1000', suspected * 3600 / soakS,
    `probes of live hosts that failed and raised a suspicion, whole cluster, 1 % loss, over ${soakS} simulated s (${((Date.now() - t0) / 1000).toFixed(0)} s to simulate); ` +
    `hosts that held such a suspicion: ${heard}; refutations: ${refuted}; removals of live hosts: ${removals}`)
}

for (const n of sizes) {
  const world = await cluster(n)
  await steady(world, n)
  if (n === 1000) {
    await soak(world)
    await failures(world, 5)
    await joins(world, 5)
  }
  for (const h of world.hosts) h.swim.stop()
}
