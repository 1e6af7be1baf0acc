// Channel sends between two libp2p nodes on 127.0.0.1 (TCP, noise, yamux), in this process,
// against raw messages of the same size on a libp2p stream between the same two nodes, in the
// same run (over-raw.ts says how). Both go through a node's stack, whose sockets send what one
// event-loop turn writes in one writev (src/cluster/batched-noise.ts).
//
// Prints:  chan.remote.over_raw.<size> for 16, 1024 and 65536 bytes (target >= 0.5), with the
//          median messages/s of each side. Knobs: see over-raw.ts.

import type { Libp2p } from 'libp2p'
import type { Stream } from '@libp2p/interface'
import { loopbackNode } from '../../test/loopback-libp2p.js'
import { Connection } from '../../src/rpc/index.js'
import { libp2pTransport } from '../../src/transport/index.js'
import { SenderClient } from '../../src/schema/channel.rpc.js'
import { Chan } from '../../src/csp/chan.js'
import { serveChanOf } from '../../src/caps/chan.js'
import { releaseMessage, type ChanMessage } from '../../src/caps/chan-message.js'
import { WINDOW, measure, rawFrame, rawReceiver, sendThrough } from './over-raw.js'

const RAW = '/ww-bench/raw/1.0.0'
const RPC = '/ww-bench/rpc/1.0.0'

function chunksOf (stream: Stream, feed: (chunk: Uint8Array) => void): void {
  stream.addEventListener('message', (evt) => {
    const data = evt.data as Uint8Array | { subarray: () => Uint8Array }
    feed(data instanceof Uint8Array ? data : data.subarray())
  })
}

async function rawRun (a: Libp2p, b: Libp2p, size: number, n: number): Promise<number> {
  const { promise: received, resolve } = Promise.withResolvers<void>()
  await a.handle(RAW, (stream) => { chunksOf(stream, rawReceiver(n, resolve)) }, { force: true })
  const stream = await b.dialProtocol(a.peerId, RAW)
  const frame = rawFrame(size)
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    if (!stream.send(frame)) await stream.onDrain()
  }
  await received
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  stream.abort(new Error('benchmark done')) // close() would wait for the other side's half-close
  return n / secs
}

async function chanRun (a: Libp2p, b: Libp2p, size: number, n: number): Promise<number> {
  const chan = new Chan<ChanMessage>(WINDOW, { release: releaseMessage })
  const conns: Connection[] = []
  await a.handle(RPC, (stream) => {
    const cap = serveChanOf(chan)
    conns.push(new Connection(libp2pTransport(stream), { bootstrap: cap }))
    cap.release()
  }, { force: true })
  const client = new Connection(libp2pTransport(await b.dialProtocol(a.peerId, RPC)))
  const sender = client.bootstrap(SenderClient)
  const rate = await sendThrough(sender, chan, size, n)
  sender.release()
  client.close()
  for (const c of conns) c.close()
  return rate
}

const a = await loopbackNode()
const b = await loopbackNode()
await b.dial(a.getMultiaddrs()[0])
await measure('remote', { raw: async (size, n) => await rawRun(a, b, size, n), chan: async (size, n) => await chanRun(a, b, size, n) })
await a.stop()
await b.stop()
process.exit(0)
