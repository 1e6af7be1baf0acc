// Round trips of small messages over a raw libp2p stream (the reference for RPC over libp2p),
// and over a plain node:net socket (the reference for libp2p itself).
import { createServer, connect, type Socket } from 'node:net'
import type { Libp2p } from '@libp2p/interface'

export const rawEchoProtocol = '/ww/bench/echo/1.0.0'

/** A round trip of `size` bytes over a raw libp2p stream from a to b (an echo on b); `close` ends it. */
export async function libp2pEcho (a: Libp2p, b: Libp2p, size = 64): Promise<TimedOp> {
  await b.handle(rawEchoProtocol, (stream) => {
    stream.addEventListener('message', evt => {
      const data = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray()
      if (!stream.send(data)) stream.pause()
    })
    stream.addEventListener('drain', () => stream.resume())
    stream.addEventListener('remoteCloseWrite', () => { void stream.close() })
  })
  const stream = await a.dialProtocol(b.peerId, rawEchoProtocol)
  const payload = new Uint8Array(size).fill(7)
  let pending: (() => void) | undefined
  let got = 0
  stream.addEventListener('message', evt => {
    got += evt.data.byteLength
    if (got >= size && pending !== undefined) { got -= size; const p = pending; pending = undefined; p() }
  })
  return {
    once: async () => {
      const done = new Promise<void>(resolve => { pending = resolve })
      stream.send(payload)
      await done
    },
    close: async () => {
      await stream.close()
      await b.unhandle(rawEchoProtocol)
    }
  }
}

/** The same over a plain TCP socket on 127.0.0.1 (noDelay), in this process. */
export async function netEchoRtt (count: number, size = 64): Promise<{ p50: number, p90: number }> {
  const server = createServer(sock => { sock.setNoDelay(true); sock.pipe(sock) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const sock: Socket = connect(port, '127.0.0.1')
  sock.setNoDelay(true)
  await new Promise<void>(resolve => sock.once('connect', resolve))
  const payload = Buffer.alloc(size, 7)
  let pending: (() => void) | undefined
  let got = 0
  sock.on('data', (d: Buffer) => {
    got += d.length
    if (got >= size && pending !== undefined) { got -= size; const p = pending; pending = undefined; p() }
  })
  const once = async (): Promise<void> => {
    const done = new Promise<void>(resolve => { pending = resolve })
    sock.write(payload)
    await done
  }
  const times = await timeEach(once, count)
  sock.destroy()
  await new Promise<void>(resolve => server.close(() => resolve()))
  return times
}

export interface TimedOp { once: () => Promise<void>, close: () => Promise<void> }
export interface Rtt { p50: number, p90: number }

function percentiles (us: number[]): Rtt {
  us.sort((x, y) => x - y)
  return { p50: us[Math.floor(us.length * 0.5)], p90: us[Math.floor(us.length * 0.9)] }
}

/** Median and p90 microseconds of `count` sequential runs of `op` (after a warm-up). */
export async function timeEach (op: () => Promise<void>, count: number): Promise<Rtt> {
  return (await timeAlternating([op], count, 1))[0]
}

/**
 * Times several ops in alternating blocks: `blocks` times, each op runs count/blocks times in a row
 * (in a row, so each runs as it would alone: an RPC call's Finish rides along with the next call,
 * not into another op's round trip). The samples of all blocks are pooled, so drifts in the load
 * of this shared machine weigh on every op alike. Returns each op's median and p90 microseconds.
 */
export async function timeAlternating (ops: Array<() => Promise<void>>, count: number, blocks = 10): Promise<Rtt[]> {
  for (const op of ops) for (let i = 0; i < Math.min(200, count); i++) await op()
  const us = ops.map(() => [] as number[])
  const perBlock = Math.ceil(count / blocks)
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < ops.length; k++) {
      for (let i = 0; i < perBlock; i++) {
        const t = process.hrtime.bigint()
        await ops[k]()
        us[k].push(Number(process.hrtime.bigint() - t) / 1000)
      }
    }
  }
  return us.map(percentiles)
}
