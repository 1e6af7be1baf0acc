// Remote channel throughput between two libp2p nodes on 127.0.0.1 (TCP, noise, yamux), in this
// process: node B sends N messages through a Sender capability to a channel on node A, which a
// local receiver on A drains; against the same N messages written raw on a libp2p stream
// between the same two nodes (4-byte length prefix, one send() per message), in the same run.
// Both go through a node's stack, whose sockets send what one event-loop turn writes in one writev
// (src/cluster/batched-noise.ts): the raw stream's messages leave hundreds to a write.
//
// Prints:  chan.remote_msgs_s, chan.raw_stream_msgs_s (medians over the rounds),
//          chan.remote.over_raw (median of the per-round ratios; target >= 0.5),
//          chan.remote.window: how many sends B keeps in flight (WW_BENCH_WINDOW, default 128, as
//          `ww send`: on loopback the throughput climbs up to a window of 128 and not past it:
//          32: ~145k msgs/s, 64: ~195k, 128: ~216k, 256: ~208k, 512: ~189k).
// Knobs: WW_BENCH_MESSAGES (default 10,000 per run), WW_BENCH_ROUNDS (default 7 raw+chan pairs),
// WW_BENCH_WARMUP (default 2 untimed pairs before them).

import type { Libp2p } from 'libp2p'
import { loopbackNode } from '../../test/loopback-libp2p.js'
import type { Stream } from '@libp2p/interface'
import { Connection } from '../../src/rpc/index.js'
import { libp2pTransport } from '../../src/transport/index.js'
import { SenderClient } from '../../src/schema/channel.rpc.js'
import { Chan } from '../../src/csp/chan.js'
import { serveChanOf } from '../../src/caps/chan.js'
import { releaseMessage, writeMessage, type ChanMessage } from '../../src/caps/chan-message.js'

const N = Number(process.env.WW_BENCH_MESSAGES ?? 10_000)
const WINDOW = Number(process.env.WW_BENCH_WINDOW ?? 128)
const SIZE = 64
const RAW = '/ww-bench/raw/1.0.0'
const RPC = '/ww-bench/rpc/1.0.0'

/** Counts length-prefixed messages arriving on a stream; resolves `done` after `n`. */
function countFrames (stream: Stream, n: number, done: () => void): void {
  let pending = new Uint8Array(0)
  let count = 0
  stream.addEventListener('message', (evt) => {
    const data = evt.data as Uint8Array | { subarray: () => Uint8Array }
    const chunk = data instanceof Uint8Array ? data : data.subarray()
    let buf = pending.length === 0 ? chunk : concat(pending, chunk)
    while (buf.length >= 4) {
      const len = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0)
      if (buf.length < 4 + len) break
      buf = buf.subarray(4 + len)
      if (++count === n) done()
    }
    pending = buf.slice()
  })
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

async function rawRun (a: Libp2p, b: Libp2p): Promise<number> {
  const { promise: received, resolve } = Promise.withResolvers<void>()
  await a.handle(RAW, (stream) => { countFrames(stream, N, resolve) }, { force: true })
  const stream = await b.dialProtocol(a.peerId, RAW)
  const frame = new Uint8Array(4 + SIZE)
  new DataView(frame.buffer).setUint32(0, SIZE)
  const start = process.hrtime.bigint()
  for (let i = 0; i < N; i++) {
    if (!stream.send(frame)) await stream.onDrain()
  }
  await received
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  stream.abort(new Error('benchmark done')) // close() would wait for the other side's half-close
  return N / secs
}

async function chanRun (a: Libp2p, b: Libp2p): Promise<number> {
  const chan = new Chan<ChanMessage>(WINDOW, { release: releaseMessage })
  const conns: Connection[] = []
  await a.handle(RPC, (stream) => {
    const cap = serveChanOf(chan)
    conns.push(new Connection(libp2pTransport(stream), { bootstrap: cap }))
    cap.release()
  }, { force: true })
  const stream = await b.dialProtocol(a.peerId, RPC)
  const client = new Connection(libp2pTransport(stream))
  const sender = client.bootstrap(SenderClient)
  const data = new Uint8Array(SIZE)
  // Warm up the connection (first calls pay for bootstrap and JIT).
  for (let i = 0; i < 100; i++) {
    const sent = sender.send((p) => { writeMessage(p._initMsg(), { data }) })
    await sent
    sent.release()
    releaseMessage(await chan.recv())
  }
  const start = process.hrtime.bigint()
  const receiving = (async () => { for (let i = 0; i < N; i++) releaseMessage(await chan.recv()) })()
  // Sends on one connection complete in order: waiting for the oldest keeps WINDOW in flight, as
  // `ww send` does (Promise.race over the window would add a reaction per send in flight, per send).
  // Both await the answer's results, a native promise (awaiting the Answer, a thenable, costs a job
  // and a promise more per send). The window is a ring, awaited inline: like the raw loop, the
  // loop itself makes nothing per message.
  const inFlight = new Array<ReturnType<typeof sender.send>>(WINDOW)
  for (let i = 0; i < N + WINDOW; i++) {
    const slot = i % WINDOW
    if (i >= WINDOW) {
      const oldest = inFlight[slot]
      await oldest.results
      oldest.release()
    }
    if (i < N) inFlight[slot] = sender.send((p) => { writeMessage(p._initMsg(), { data }) })
  }
  await receiving
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  sender.release()
  client.close()
  for (const c of conns) c.close()
  return N / secs
}

const a = await loopbackNode()
const b = await loopbackNode()
await b.dial(a.getMultiaddrs()[0])
// Rounds alternate the two runs, so the load of a shared machine weighs on both alike; the ratio
// is the median of the per-round ratios (a max over runs would pick each side's luckiest moment).
const ROUNDS = Number(process.env.WW_BENCH_ROUNDS ?? 7)
// Untimed pairs first: both paths speed up over their first runs (JIT), the raw one the most.
const WARMUP = Number(process.env.WW_BENCH_WARMUP ?? 2)
for (let run = 0; run < WARMUP; run++) {
  await rawRun(a, b)
  await chanRun(a, b)
}
const rounds: Array<{ raw: number, remote: number }> = []
for (let run = 0; run < ROUNDS; run++) {
  const raw = await rawRun(a, b)
  rounds.push({ raw, remote: await chanRun(a, b) })
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
console.log(`chan.remote_msgs_s: ${Math.round(median(rounds.map(r => r.remote)))}`)
console.log(`chan.raw_stream_msgs_s: ${Math.round(median(rounds.map(r => r.raw)))}`)
console.log(`chan.remote.over_raw: ${median(rounds.map(r => r.remote / r.raw)).toFixed(2)}   (per round: ${rounds.map(r => (r.remote / r.raw).toFixed(2)).join(' ')})`)
console.log(`chan.remote.window: ${WINDOW}`)
await a.stop()
await b.stop()
process.exit(0)
