// Round trips of small messages over a raw libp2p stream (the reference for RPC over libp2p),
// and over a plain node:net socket (the reference for libp2p itself).
import { createServer, connect, type Socket } from 'node:net'
import type { Libp2p } from '@libp2p/interface'

export const rawEchoProtocol = '/ww/bench/echo/1.0.0'

/** Median and p90 round-trip time in microseconds of `count` sequential `size`-byte echoes from a to b. */
export async function libp2pEchoRtt (a: Libp2p, b: Libp2p, count: number, size = 64): Promise<{ p50: number, p90: number }> {
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
  const once = async (): Promise<void> => {
    const done = new Promise<void>(resolve => { pending = resolve })
    stream.send(payload)
    await done
  }
  const times = await timeEach(once, count)
  await stream.close()
  await b.unhandle(rawEchoProtocol)
  return times
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

export async function timeEach (op: () => Promise<void>, count: number): Promise<{ p50: number, p90: number }> {
  for (let i = 0; i < Math.min(200, count); i++) await op()
  const us: number[] = []
  for (let i = 0; i < count; i++) {
    const t = process.hrtime.bigint()
    await op()
    us.push(Number(process.hrtime.bigint() - t) / 1000)
  }
  us.sort((x, y) => x - y)
  return { p50: us[Math.floor(us.length * 0.5)], p90: us[Math.floor(us.length * 0.9)] }
}
