// The floor under an idle ww node: N plain libp2p processes (the transport, encryption, muxer and services every ww
// node runs: TCP, noise as ww runs it (batched-noise.ts), yamux, identify, ping with ww's connection monitor
// settings), fully meshed on 127.0.0.1, doing nothing. Their idle CPU and bytes written are what libp2p alone costs for as many connections as an idle ww node
// holds, measured the way cluster.procs.* measures ww's nodes: once fully meshed (every other node; what an idle ww
// node held before it closed idle connections), and once on a ring, each node connected to the 2 before and the 2
// after it (what a settled ww node keeps: its ring neighbours, src/cluster/ring.ts). Then on that ring with SWIM's
// idle traffic and nothing else of ww (libp2p_floor_ring_probes): a 48-byte ping a second to a neighbour at random,
// answered by a 48-byte ack, on long-lived streams framed as SWIM's: what probing costs in libp2p itself. That one is
// measured twice: over a first window with the connections a ww cluster makes and closes as it forms (every process
// connects to one first, as to a bootstrap peer; the ring is dialed once the window starts; 20 s into it the first
// process closes its connections off the ring), libp2p_floor_ring_probes.first_window_cpu_pct, the reference for
// cluster.procs.idle_cpu_pct; and settled, after a window as long.
// Last, what one new connection costs in libp2p itself (libp2p_floor.connection_cpu_ms): 8 pairs of these processes,
// one at a time, one dialing the other; both processes' CPU over the next 1.5 s less their idle rate, per connection
// end: the reference for cluster.procs.connection_cpu_ms, which measures the same between settled ww nodes. Each has
// made 3 connections before, as a ww node has by then (a first connection runs libp2p's code cold: ~50 % more CPU).
//
//   node --import ./dist/src/polyfill.js dist/bench/cluster/libp2p-floor.js [N...]   (default 10 20; WW_BENCH_IDLE_S, also
//   the wait before the window, as cluster.procs.settled_* waits one window)
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import type { PeerId, Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { batchedNoise } from '../../src/cluster/batched-noise.js'
import { clusterLimits } from '../../src/cluster/limits.js'
import { FrameReader, lengthPrefixed } from '../../src/cluster/swim-frames.js'
import { tcpBytesSent, tcpSentBetween } from './connections.js'
import { bytesWritten, cpuBeyondRate, cpuSeconds } from './proc-stats.js'

const CHILD = 'libp2p-floor-child'
const PROBE = '/ww-bench/floor-probe/1.0.0'

async function child (): Promise<void> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [batchedNoise()],
    streamMuxers: [yamux()],
    connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
    connectionMonitor: { pingInterval: clusterLimits.connectionPingIntervalMs, pingTimeout: { minTimeout: clusterLimits.connectionPingTimeoutMinMs } },
    services: { identify: identify(), ping: ping() }
  })
  // SWIM's idle traffic in plain libp2p: a 48-byte ping a second to a connected peer at random and its 48-byte ack,
  // each on a long-lived stream per peer and direction, framed as SWIM frames them (swim-frames.ts).
  const streams = new Map<string, Promise<Stream>>()
  const sendTo = (peer: PeerId, bytes: Uint8Array): void => {
    const key = peer.toString()
    let s = streams.get(key)
    if (s === undefined) streams.set(key, s = node.dialProtocol(peer, PROBE))
    s.then(stream => { stream.send(lengthPrefixed(bytes)) }, () => { streams.delete(key) })
  }
  await node.handle(PROBE, (stream, conn) => {
    const reader = new FrameReader(1024)
    stream.addEventListener('message', evt => { reader.push(evt.data, m => { if (m[0] === 1) sendTo(conn.remotePeer, new Uint8Array(48).fill(2)) }) })
  })
  process.stdout.write(`addr ${node.getMultiaddrs()[0].toString()}\n`)
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'probe') {
      setInterval(() => {
        const conns = node.getConnections()
        if (conns.length > 0) sendTo(conns[Math.floor(Math.random() * conns.length)].remotePeer, new Uint8Array(48).fill(1))
      }, 1000)
    }
    if (line.startsWith('dial ')) {
      await Promise.all(line.slice(5).split(' ').filter(a => a !== '').map(async a => await node.dial(multiaddr(a))))
      process.stdout.write(`connected ${node.getConnections().length}\n`)
    }
    if (line.startsWith('hangup ')) {
      await Promise.all(line.slice(7).split(' ').filter(a => a !== '').map(async a => { await node.hangUp(multiaddr(a)) }))
      process.stdout.write(`connected ${node.getConnections().length}\n`)
    }
  }
  await node.stop()
}

interface Floor { proc: ChildProcess, addr: string, lines: AsyncIterator<string> }

async function startFloorNode (): Promise<Floor> {
  const proc = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), CHILD], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]()
  const first = await lines.next()
  if (first.done === true || !String(first.value).startsWith('addr ')) throw new Error('a floor node did not start')
  return { proc, addr: String(first.value).slice(5), lines }
}

/** Sends a floor node one command line and waits for its one-line answer. */
async function command (f: Floor, line: string): Promise<void> {
  f.proc.stdin!.write(line + '\n')
  if ((await f.lines.next()).done === true) throw new Error(`a floor node ended before answering ${line.split(' ')[0]}`)
}

async function measure (n: number, idleS: number, perSide?: number, probes = false): Promise<void> {
  const settleS = Math.max(5, idleS)
  const nodes: Floor[] = []
  for (let i = 0; i < n; i++) nodes.push(await startFloorNode())
  try {
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
    const name = perSide === undefined ? 'libp2p_floor' : probes ? 'libp2p_floor_ring_probes' : 'libp2p_floor_ring'
    const each = perSide === undefined ? n - 1 : 2 * Math.min(perSide, Math.floor((n - 1) / 2))
    const pids = nodes.map(f => f.proc.pid!)
    // With probes, a first window too, with the connections a ww cluster makes and closes as it forms: every node
    // connects to node 0 first (its bootstrap peer), then the window starts and the ring is dialed (as a ww cluster
    // dials it once the joins stop), and 20 s into it node 0 closes the connections that are not on the ring (as the
    // trimmer does, idleConnectionGraceMs). The reference for cluster.procs.idle_cpu_pct.
    const ringOf0 = new Set(Array.from({ length: perSide ?? 0 }, (_, k) => [k + 1, n - 1 - k]).flat())
    if (probes) for (let i = 1; i < n; i++) await command(nodes[i], `dial ${nodes[0].addr}`)
    const first = probes ? { cpu: pids.map(cpuSeconds), at: performance.now() } : undefined
    // Full mesh: node i dials every node before it. Ring: node i dials the perSide nodes after it (mod n).
    for (let i = perSide === undefined ? 1 : 0; i < n; i++) {
      const targets = perSide === undefined
        ? nodes.slice(0, i)
        : Array.from({ length: Math.min(perSide, Math.floor((n - 1) / 2)) }, (_, k) => nodes[(i + k + 1) % n])
      await command(nodes[i], `dial ${targets.map(f => f.addr).join(' ')}`)
    }
    const connectedAt = performance.now()
    if (probes) for (const f of nodes) f.proc.stdin!.write('probe\n')
    if (first !== undefined) {
      const wait = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, Math.max(0, first.at + ms - performance.now()))) }
      await wait(Math.min(idleS * 1000, clusterLimits.idleConnectionGraceMs))
      const offRing = nodes.filter((_, i) => i > 0 && !ringOf0.has(i)).map(f => f.addr)
      if (offRing.length > 0) await command(nodes[0], `hangup ${offRing.join(' ')}`)
      await wait(idleS * 1000)
      const s = (performance.now() - first.at) / 1000
      const cpu = pids.map((p, i) => (cpuSeconds(p) - first.cpu[i]) / s * 100)
      console.log(`cluster.procs.${name}.first_window_cpu_pct.${n}: ${mean(cpu).toFixed(2)}   (max ${Math.max(...cpu).toFixed(2)})   ` +
        `(over ${s.toFixed(0)} s from every process connected to node 0: the ring dialed in it, ${offRing.length} of node 0's connections closed)`)
    }
    // identify, the first exchanges and V8's compilation of the paths they run settle first, as cluster.procs.settled_*
    // measure ww's nodes in a second window
    await new Promise(resolve => setTimeout(resolve, Math.max(0, connectedAt + settleS * 1000 - performance.now())))
    const cpu0 = pids.map(cpuSeconds)
    const out0 = pids.map(bytesWritten)
    const tcp0 = tcpBytesSent(new Set(pids))
    const t0 = performance.now()
    await new Promise(resolve => setTimeout(resolve, idleS * 1000))
    const s = (performance.now() - t0) / 1000
    const cpu = pids.map((p, i) => (cpuSeconds(p) - cpu0[i]) / s * 100)
    const out = pids.map((p, i) => (bytesWritten(p) - out0[i]) / s)
    const tcp1 = tcpBytesSent(new Set(pids))
    const tcp = pids.map(p => tcpSentBetween(tcp0, tcp1, p) / s)
    console.log(`cluster.procs.${name}.idle_cpu_pct.${n}: ${mean(cpu).toFixed(2)}   (max ${Math.max(...cpu).toFixed(2)})   (over ${idleS} s, ${each} connections each)`)
    console.log(`cluster.procs.${name}.idle_out_bytes_s.${n}: ${mean(out).toFixed(0)}   (max ${Math.max(...out).toFixed(0)})`)
    console.log(`cluster.procs.${name}.idle_tcp_out_bytes_s.${n}: ${mean(tcp).toFixed(0)}   (max ${Math.max(...tcp).toFixed(0)})`)
  } finally {
    for (const f of nodes) f.proc.kill()
  }
}

/** libp2p_floor.connection_cpu_ms: see the top of this file. */
async function connectionCost (pairs: number, holdS: number, warmRounds = 3): Promise<void> {
  const nodes: Floor[] = []
  for (let i = 0; i < 2 * pairs; i++) nodes.push(await startFloorNode())
  try {
    // As a ww node has before a connection is measured (its bootstrap peer, the join wave, its ring): a few
    // connections made already, so the code they run is compiled. Round r: node 2k dials node 2k+1+2r, all pairs new.
    const partner = (k: number, r: number): number => (2 * k + 1 + 2 * r) % (2 * pairs)
    for (let r = 1; r <= warmRounds; r++) {
      await Promise.all(Array.from({ length: pairs }, async (_, k) => { await command(nodes[2 * k], `dial ${nodes[partner(k, r)].addr}`) }))
    }
    await new Promise(resolve => setTimeout(resolve, 3000))
    const pids = nodes.map(f => f.proc.pid!)
    const idle0 = pids.map(cpuSeconds)
    const tIdle = performance.now()
    await new Promise(resolve => setTimeout(resolve, 3000))
    const idleS = (performance.now() - tIdle) / 1000
    const rate = pids.map((p, i) => (cpuSeconds(p) - idle0[i]) / idleS)
    let dialer = 0
    let dialed = 0
    for (let k = 0; k < pairs; k++) {
      const [a, b] = [2 * k, 2 * k + 1]
      const used = await cpuBeyondRate([pids[a], pids[b]], [rate[a], rate[b]], holdS, async () => { await command(nodes[a], `dial ${nodes[b].addr}`) })
      dialer += used[0]
      dialed += used[1]
    }
    const ms = (x: number): string => (x * 1000).toFixed(1)
    console.log(`cluster.procs.libp2p_floor.connection_cpu_ms: ${ms((dialer + dialed) / (2 * pairs))} per end   (${pairs} connections: ` +
      `TCP, noise, yamux, identify both ways; dialing side ${ms(dialer / pairs)}, dialed side ${ms(dialed / pairs)})`)
  } finally {
    for (const f of nodes) f.proc.kill()
  }
}

if (process.argv[2] === CHILD) {
  await child()
} else {
  const sizes = process.argv.slice(2).map(Number)
  const idleS = Number(process.env.WW_BENCH_IDLE_S ?? 30)
  for (const n of sizes.length > 0 ? sizes : [10, 20]) {
    await measure(n, idleS)
    await measure(n, idleS, 2)
    await measure(n, idleS, 2, true)
  }
  await connectionCost(8, 1.5)
}
