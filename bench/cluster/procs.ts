// Cluster benchmark as a user runs it: every node its own `ww start` process (bin/ww, its own home under the temp
// dir, TCP on 127.0.0.1, no mDNS, default TTL), the first started alone, then the other N-1 launched at once,
// bootstrapped to it. The benchmark holds one API connection per node and follows its host list with View.watch.
// For each N (WW_BENCH_NODES=5,10,20 or arguments; default 5, 10, 20) it prints, per node figures as the mean over
// the nodes with the largest beside it:
//   cluster.procs.converge_s.N            node 0 lists all N, counted from the moment the last node's API socket was up
//                                         (negative: node 0 listed it before its API socket was up)
//   cluster.procs.launch_to_converge_s.N  the same, counted from the launch of nodes 1..N-1 (node 0 already up)
//   cluster.procs.startup_cpu_s.N         CPU (user+system, /proc/<pid>/stat) from exec to the API socket, per node
//   cluster.procs.cpu_to_converge_s.N     CPU from its API socket up to convergence, per node, with the TCP connection
//                                         ends each node opened or accepted by then (each costs what
//                                         cluster.procs.connection_cpu_ms measures)
//   cluster.procs.wave_connections.N      TCP connections each node opened or accepted from the launch until every node
//                                         lists all (ss, sampled every 500 ms: those trimmed later are counted too), and
//                                         those it still holds then: each costs a noise handshake on both sides
//   cluster.procs.idle_cpu_pct.N          CPU over an idle window (WW_BENCH_IDLE_S, default 30 s) that starts once
//                                         every node lists all N, per node, in % of one core
//   cluster.procs.idle_connections.N      TCP connection ends each node opened or accepted, and closed, in that window
//                                         (ss, sampled every 500 ms): the ring's connections made once the joins stop
//   cluster.procs.idle_out_bytes_s.N      bytes written over that window per node: /proc/<pid>/io wchar, the bytes the
//                                         process passed to write(2) and writev(2), which is its TCP payload (nothing
//                                         else is written when idle: no log line, no API traffic); /proc/net counts
//                                         per network namespace, so it cannot tell one loopback node from another
//   cluster.procs.settled_cpu_pct.N       the same over the next window of that length, when the join wave's gossip
//   cluster.procs.settled_out_bytes_s.N   and start-up work are over: what an idle node costs for good
//   cluster.procs.settled_tcp_out_bytes_s.N  TCP payload sent over that window per node (ss -ti bytes_sent of its
//                                         connections): wchar also counts node's 8-byte eventfd writes that wake its
//                                         event loop from the thread pool, which this does not
//   cluster.procs.connections.N           TCP connections per node at the end of that window, and those opened in it
//   cluster.procs.rss_mb.N                VmRSS at the end of the second idle window, per node process
//   cluster.procs.connection_cpu_ms.N     then, up to 8 pairs of members not connected to each other: one asks its node
//                                         over the API to dial the other (as `ww connect` does); the CPU both processes
//                                         use over the next connectionHoldS, less their settled rate, per connection end.
//                                         Its reference is cluster.procs.libp2p_floor.connection_cpu_ms (libp2p-floor.ts)
//   cluster.procs.leave_seen_s.N          SIGTERM one node: until every other node's watch reports it gone
//   cluster.procs.kill_seen_s.N           SIGKILL another: the same (it expires: the TTL is printed beside it)
// WW_BENCH_NODE_ARGS: node options for every node process (experiments: e.g. V8 heap flags).
// Run: make bench-cluster   (or node --import ./dist/src/polyfill.js dist/bench/cluster/procs.js [N...])
import { ConnectionWatch, connectedPids, tcpBytesSent, tcpConnections, tcpSentBetween, type TcpConnection } from './connections.js'
import { NodeProcess } from './node-process.js'
import { bytesWritten, cpuBeyondRate, cpuSeconds, rssMb } from './proc-stats.js'

const fromEnv = (process.env.WW_BENCH_NODES ?? '').split(',').map(Number).filter(n => n >= 3)
const fromArgs = process.argv.slice(2).map(Number).filter(n => n >= 3)
const sizes = fromArgs.length > 0 ? fromArgs : fromEnv.length > 0 ? fromEnv : [5, 10, 20]
const idleS = Number(process.env.WW_BENCH_IDLE_S ?? 30)
// A cluster not converged by then gets its converge_s line saying so, startup_cpu_s and rss_mb, and nothing else.
const convergeTimeoutMs = Number(process.env.WW_BENCH_CONVERGE_TIMEOUT_S ?? 180) * 1000
const ttlS = 10 // ww start's default --ttl
// A new connection's work (handshake, identify both ways, the first exchanges) is over well within this on loopback.
const connectionHoldS = 1.5
// Node options for the node processes, for experiments (e.g. '--max-semi-space-size=1'): then node runs dist/cmd/ww.js
// with these and --disable-wasm-trap-handler, without bin/ww's other flags.
const nodeArgs = (process.env.WW_BENCH_NODE_ARGS ?? '').split(' ').filter(a => a !== '')

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length
const perNode = (xs: number[], digits: number): string => `${mean(xs).toFixed(digits)}   (max ${Math.max(...xs).toFixed(digits)})`
const print = (name: string, n: number, value: string): void => { console.log(`cluster.procs.${name}.${n}: ${value}`) }

async function launchWatched (...extra: string[]): Promise<NodeProcess> {
  const node = await NodeProcess.launch(extra, nodeArgs)
  await node.watch()
  return node
}

async function measure (n: number): Promise<void> {
  const launched: NodeProcess[] = []
  try {
    const first = await launchWatched()
    launched.push(first)
    const launchAt = performance.now()
    const wave = new ConnectionWatch(new Set([first.pid]), 500)
    const rest = await Promise.all(Array.from({ length: n - 1 }, async () => {
      const node = await launchWatched('--bootstrap', first.addr)
      launched.push(node)
      return node
    }))
    const nodes = [first, ...rest]
    /** Connection ends per node among `conns`: the mean, and the largest. */
    const ends = (conns: readonly TcpConnection[]): string => perNode(nodes.map(x => conns.filter(c => c.pid === x.pid).length), 1)
    wave.watchAlso(rest.map(x => x.pid))
    const lastUp = Math.max(...rest.map(x => x.upAt))
    const all = (hosts: Set<string>): boolean => nodes.every(x => hosts.has(x.peer))
    const convergedAt = await first.until(all, convergeTimeoutMs)
    if (convergedAt === undefined) {
      print('converge_s', n, `not converged after ${convergeTimeoutMs / 1000} s (node 0 lists ${first.hosts.size} of ${n})`)
      print('startup_cpu_s', n, perNode(nodes.map(x => x.startupCpu), 2))
      print('rss_mb', n, perNode(nodes.map(x => rssMb(x.pid)), 1) + '   (not converged)')
      return
    }
    const cpuAtConverge = nodes.map(x => cpuSeconds(x.pid))
    const openedByConverge = wave.openedSoFar()
    const everyone = await Promise.all(nodes.map(async x => await x.until(all, convergeTimeoutMs)))
    const allAt = everyone.every(t => t !== undefined) ? Math.max(...everyone as number[]) : undefined
    const waveEnd = wave.stop()
    const heldAtEnd = tcpConnections(new Set(nodes.map(x => x.pid)))
    const allText = allAt === undefined ? 'not every node lists all in time' : `every node lists all ${((allAt - lastUp) / 1000).toFixed(3)} s`
    print('converge_s', n, `${((convergedAt - lastUp) / 1000).toFixed(3)}   (${allText})`)
    print('launch_to_converge_s', n, ((convergedAt - launchAt) / 1000).toFixed(3))
    print('startup_cpu_s', n, perNode(nodes.map(x => x.startupCpu), 2))
    print('cpu_to_converge_s', n, perNode(nodes.map((x, i) => cpuAtConverge[i] - x.startupCpu), 2) +
      `   (connection ends by then ${ends(openedByConverge)})`)
    print('wave_connections', n, ends(waveEnd.opened) +
      `   (held then ${ends(heldAtEnd)})`)

    const cpu0 = nodes.map(x => cpuSeconds(x.pid))
    const out0 = nodes.map(x => bytesWritten(x.pid))
    const idleWatch = new ConnectionWatch(new Set(nodes.map(x => x.pid)), 500)
    const t0 = performance.now()
    await new Promise(resolve => setTimeout(resolve, idleS * 1000))
    const window = (performance.now() - t0) / 1000
    const idleConns = idleWatch.stop()
    print('idle_cpu_pct', n, perNode(nodes.map((x, i) => (cpuSeconds(x.pid) - cpu0[i]) / window * 100), 2) + `   (over ${window.toFixed(0)} s)`)
    print('idle_connections', n, `${ends(idleConns.opened)} opened,` +
      ` ${ends(idleConns.closed)} closed   (connection ends per node)`)
    print('idle_out_bytes_s', n, perNode(nodes.map((x, i) => (bytesWritten(x.pid) - out0[i]) / window), 0))
    // The next window alike: the cluster once the join wave's gossip and the start-up work are over.
    const pids = new Set(nodes.map(x => x.pid))
    const cpu1 = nodes.map(x => cpuSeconds(x.pid))
    const out1 = nodes.map(x => bytesWritten(x.pid))
    const tcp1 = tcpBytesSent(pids)
    const watch = new ConnectionWatch(pids, 1000)
    const t1 = performance.now()
    await new Promise(resolve => setTimeout(resolve, idleS * 1000))
    const window1 = (performance.now() - t1) / 1000
    const tcp2 = tcpBytesSent(pids)
    const { opened } = watch.stop()
    const held = tcpConnections(pids)
    const settledRate = nodes.map((x, i) => (cpuSeconds(x.pid) - cpu1[i]) / window1)
    print('settled_cpu_pct', n, perNode(settledRate.map(r => r * 100), 2) + `   (over ${window1.toFixed(0)} s)`)
    print('settled_out_bytes_s', n, perNode(nodes.map((x, i) => (bytesWritten(x.pid) - out1[i]) / window1), 0))
    print('settled_tcp_out_bytes_s', n, perNode(nodes.map(x => tcpSentBetween(tcp1, tcp2, x.pid) / window1), 0))
    print('connections', n, ends(held) + `   (of ${n - 1} possible; ${opened.length / 2} opened in the window)`)
    print('rss_mb', n, perNode(nodes.map(x => rssMb(x.pid)), 1))
    const cost = await connectionCost(nodes, settledRate)
    print('connection_cpu_ms', n, cost === undefined
      ? 'none measured (every pair of members but node 0 is connected, or none could be dialed)'
      : `${cost.perEnd.toFixed(1)} per end   (${cost.count} connections between members not connected before, ` +
        `dialed over the API; dialing side ${cost.dialer.toFixed(1)}, dialed side ${cost.dialed.toFixed(1)})`)

    const left = nodes[n - 1]
    const others = nodes.slice(0, n - 1)
    const leaveAt = performance.now()
    await left.stop('SIGTERM')
    print('leave_seen_s', n, await seenGone(left, others, leaveAt, 30_000))
    const killed = nodes[n - 2]
    const survivors = nodes.slice(0, n - 2)
    const killAt = performance.now()
    await killed.stop('SIGKILL')
    print('kill_seen_s', n, `${await seenGone(killed, survivors, killAt, 3 * ttlS * 1000)}   (TTL ${ttlS} s)`)
  } finally {
    await Promise.all(launched.map(async x => { await x.stop('SIGTERM'); x.cleanup() }))
  }
}

/**
 * What one new connection between two settled members costs them: up to maxPairs pairs not connected to each other
 * (node 0, the bootstrap peer, is left out), one at a time, each given connectionHoldS: both processes' CPU over it,
 * less their settled rate. Undefined when every pair is connected. The connections stay until the trimmer closes them.
 */
async function connectionCost (nodes: NodeProcess[], settledRate: number[], maxPairs = 8): Promise<{ perEnd: number, dialer: number, dialed: number, count: number } | undefined> {
  const used = new Set<number>([0])
  let dialer = 0
  let dialed = 0
  let count = 0
  for (let i = 1; i < nodes.length && count < maxPairs; i++) {
    if (used.has(i)) continue
    const j = nodes.findIndex((y, k) => k > i && !used.has(k) && !connectedPids(nodes[i].pid, y.pid))
    if (j < 0) continue
    used.add(i).add(j)
    let cpu: number[]
    try {
      cpu = await cpuBeyondRate([nodes[i].pid, nodes[j].pid], [settledRate[i], settledRate[j]], connectionHoldS, async () => await nodes[i].connect(nodes[j].addr))
    } catch (err) {
      console.error(`connection_cpu_ms: node ${i} could not dial node ${j}: ${(err as Error).message}`)
      continue
    }
    dialer += cpu[0]
    dialed += cpu[1]
    count++
  }
  if (count === 0) return undefined
  return { perEnd: (dialer + dialed) / (2 * count) * 1000, dialer: dialer / count * 1000, dialed: dialed / count * 1000, count }
}

/** Seconds from `since` until every one of `others` no longer lists `gone`. */
async function seenGone (gone: NodeProcess, others: NodeProcess[], since: number, timeoutMs: number): Promise<string> {
  const seen = await Promise.all(others.map(async x => await x.until(hosts => !hosts.has(gone.peer), timeoutMs)))
  const missing = seen.filter(t => t === undefined).length
  if (missing > 0) return `not seen by ${missing} of ${others.length} nodes after ${timeoutMs / 1000} s`
  return ((Math.max(...seen as number[]) - since) / 1000).toFixed(3)
}

for (const n of sizes) await measure(n)
process.exit(0)
