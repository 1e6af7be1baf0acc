// Channel sends over a unix socket (this process is both ends: a node's API socket, the client
// connected as `ww send` connects), against raw messages of the same size written on a unix
// socket in the same run (over-raw.ts says how).
//
// Prints:  chan.unix.over_raw.<size> for 16, 1024 and 65536 bytes (target >= 0.4), with the
//          median messages/s of each side; beside it the floor of any acknowledged send on the same
//          socket (acked.ts): chan.unix.acked_over_raw.<size>, and chan.unix.over_acked.<size>, the
//          channel against that floor. Knobs: see over-raw.ts.

import net from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connection } from '../../src/rpc/index.js'
import { connectUnix, listenUnix } from '../../src/transport/index.js'
import { SenderClient } from '../../src/schema/channel.rpc.js'
import { Chan } from '../../src/csp/chan.js'
import { serveChanOf } from '../../src/caps/chan.js'
import { releaseMessage, type ChanMessage } from '../../src/caps/chan-message.js'
import { WINDOW, measure, rawFrame, rawReceiver, sendThrough } from './over-raw.js'
import { type AckReader, ackedSends, ackingReceiver } from './acked.js'

const dir = mkdtempSync(join(tmpdir(), 'ww-bench-unix-'))
let runs = 0

async function rawRun (size: number, n: number): Promise<number> {
  const path = join(dir, `raw${runs++}.sock`)
  const { promise: received, resolve } = Promise.withResolvers<void>()
  const server = net.createServer((s) => { const feed = rawReceiver(n, resolve); s.on('data', feed) })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  const socket = net.connect({ path })
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  socket.setNoDelay(true)
  const frame = rawFrame(size)
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    if (!socket.write(frame)) await new Promise((resolve) => socket.once('drain', resolve))
  }
  await received
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  socket.destroy()
  server.close()
  return n / secs
}

async function ackedRun (size: number, n: number): Promise<number> {
  const path = join(dir, `acked${runs++}.sock`)
  const { promise: received, resolve } = Promise.withResolvers<void>()
  const server = net.createServer((s) => { ackingReceiver(s, n, resolve) })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  const acks: AckReader = { read: () => {} }
  const socket = net.connect({ path, onread: { buffer: Buffer.allocUnsafe(64 << 10), callback: (bytes) => { acks.read(bytes); return true } } })
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  const rate = await ackedSends(socket, acks, size, n, WINDOW)
  await received
  socket.destroy()
  server.close()
  return rate
}

async function chanRun (size: number, n: number): Promise<number> {
  const path = join(dir, `rpc${runs++}.sock`)
  const chan = new Chan<ChanMessage>(WINDOW, { release: releaseMessage })
  const conns: Connection[] = []
  const server = await listenUnix(path, (t) => {
    const cap = serveChanOf(chan)
    conns.push(new Connection(t, { bootstrap: cap }))
    cap.release()
  })
  const client = new Connection(await connectUnix(path))
  const sender = client.bootstrap(SenderClient)
  const rate = await sendThrough(sender, chan, size, n)
  sender.release()
  client.close()
  for (const c of conns) c.close()
  server.close()
  return rate
}

// WW_BENCH_ACKED=0 leaves the floor out.
await measure('unix', { raw: rawRun, chan: chanRun, acked: process.env.WW_BENCH_ACKED === '0' ? undefined : ackedRun, messages: 100_000 })
rmSync(dir, { recursive: true, force: true })
process.exit(0)
