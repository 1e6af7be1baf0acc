// Pipelining: the latency of walk(path) -> load() -> value.sender.send(msg), issued together and
// awaited at the end, against one plain RPC round trip (anchor.path()) on the same connection,
// measured in the same run. Host and client are two RPC connections in this process over a unix
// socket. Target: anchor.pipelined.over_rtt <= 1.2 (the chain costs one round trip).
//
// What each timed op covers, exactly: from issuing the first call until the last awaited answer
// settles, then releasing the answers (which queues Finish/Release frames; they go out lazily).
//   rtt:        anchor.path() on an anchor walked once beforehand, awaited.
//   pipelined:  walk, load on walk's pipelined anchor, send on load's pipelined value.sender, all
//               issued at once; only send is awaited; walk and load are made with onlyPipeline.
//   plain:      the same without onlyPipeline (all three answered).
//   sequential: the same three calls, each awaited before the next is made.
//   three:      three anchor.path() calls issued together, all awaited: no pipelining, no work.
// The sent message is then taken out of the channel (a local recv on the host's side) outside
// the timed region, so the channel never fills; nothing else runs in between. The five ops take
// turns within each round (after a warm-up of all five), so none gains from running later.
// Also through a cluster root forwarding to a second host (client -> A -> B), against a plain
// call on an anchor reached the same way.
//
// On loopback in one process a round trip is mostly the CPU cost of handling each call, so
// three calls cost more than one however they travel: `three.over_rtt` is that floor, measured.
// The same figures are then measured over a link with simulated latency (WW_BENCH_LINK_MS one
// way, default 2), where the wire dominates and pipelining shows: the chain costs about one round
// trip instead of three.
//
// Prints:  anchor.{rtt_us,pipelined_us,plain_us,sequential_us,three_us,
//                  pipelined.over_rtt,plain.over_rtt,three.over_rtt},
//          anchor.cluster.{the same},
//          and the same with the .link<N>ms suffix for the simulated link.

import os from 'node:os'
import path from 'node:path'
import { Connection, type Capability } from '../../src/rpc/index.js'
import { connectUnix, listenUnix } from '../../src/transport/index.js'
import { AnchorClient } from '../../src/schema/anchor.rpc.js'
import type { ChanClient } from '../../src/schema/channel.rpc.js'
import { AnchorTree } from '../../src/anchor/tree.js'
import { serveTree } from '../../src/caps/anchor.js'
import { serveClusterRoot } from '../../src/caps/anchor-cluster-root.js'
import { delayed } from './delayed-transport.js'
import { type Timings, chainOps, reportChain, timeChain } from './chain.js'

const ROUNDS = Number(process.env.WW_BENCH_ROUNDS ?? 1000)
const LINK_MS = Number(process.env.WW_BENCH_LINK_MS ?? 2)
/** Untimed rounds of every op first (V8 compiles the hot paths meanwhile). */
const WARMUP = 500

async function serveOnUnix (name: string, bootstrap: AnchorClient, linkMs: number): Promise<{ connect: () => Promise<Connection>, close: () => void }> {
  const sock = path.join(os.tmpdir(), `ww-bench-${name}-${linkMs}-${process.pid}.sock`)
  const conns: Connection[] = []
  const listener = await listenUnix(sock, (t) => { conns.push(new Connection(delayed(t, linkMs), { bootstrap })) })
  return {
    connect: async () => { const c = new Connection(delayed(await connectUnix(sock), linkMs)); conns.push(c); return c },
    close: () => { for (const c of conns) c.close(); listener.close() }
  }
}

async function measure (root: AnchorClient, mailboxPath: string, chan: ChanClient, rounds: number): Promise<Timings> {
  const w = root.walk((p) => { p.path = mailboxPath })
  const anchor = w.pipeline.anchor.dup()
  await w
  w.release()
  const drain = async (): Promise<void> => { const r = chan.recv(); await r; r.release() } // local to the host
  const m = await timeChain(chainOps(root, mailboxPath, anchor, drain), rounds, Math.min(WARMUP, rounds))
  anchor.release()
  return m
}

async function makeMailbox (root: AnchorClient): Promise<ChanClient> {
  const w = root.walk((p) => { p.path = 'mailbox' })
  const made = w.pipeline.anchor.makeChan((p) => { p.capacity = 16 })
  await made
  const chan = made.pipeline.chan.dup()
  made.release()
  w.release()
  return chan
}

const treeB = new AnchorTree<Capability>()
const rootB = serveTree(treeB)
const chanB = await makeMailbox(rootB)
const closers: Array<() => void> = []

for (const linkMs of [0, LINK_MS]) {
  const suffix = linkMs === 0 ? '' : `.link${linkMs}ms`
  const rounds = linkMs === 0 ? ROUNDS : Math.max(20, Math.floor(ROUNDS / 20))
  // One host, one client.
  const hostB = await serveOnUnix('b', rootB, linkMs)
  closers.push(hostB.close)
  const direct = await measure((await hostB.connect()).bootstrap(AnchorClient), 'mailbox', chanB, rounds)
  reportChain('anchor', direct, suffix)
  // Through host A's cluster root, forwarding to B (both links with the same latency).
  // A keeps one reference to B's root and hands out copies, as a node does (host/peer-hosts.ts).
  const rootOfB = (await hostB.connect()).bootstrap(AnchorClient)
  const cluster = serveClusterRoot({ peers: () => ['hostB'], hostRoot: () => rootOfB.dup() })
  const hostA = await serveOnUnix('a', cluster, linkMs)
  closers.push(hostA.close)
  const forwarded = await measure((await hostA.connect()).bootstrap(AnchorClient), '/hostB/mailbox', chanB, rounds)
  reportChain('anchor.cluster', forwarded, suffix)
}

for (const close of closers) close()
process.exit(0)
