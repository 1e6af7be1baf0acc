// Transports over node:net: any Duplex byte stream (unix socket, TCP).
import net from 'node:net'
import type { Duplex } from 'node:stream'
import type { MessageTransport } from './transport.js'
import { FramedTransport } from './framed-transport.js'
import { Disconnected } from '../errors.js'

class SocketTransport extends FramedTransport {
  private early: Uint8Array[] = []

  /** `ownReads`: the caller feeds bytes() itself (a socket made with `onread`), else 'data' events do. */
  constructor (private readonly socket: Duplex, ownReads = false) {
    super()
    if (!ownReads) socket.on('data', (chunk: Buffer) => { this.bytes(chunk) })
  }

  protected started (): void {
    this.socket.on('error', (err) => { this.fail(new Disconnected(err.message)) })
    this.socket.on('close', () => { this.fail(new Disconnected('socket closed')) })
    this.socket.on('end', () => { this.fail(new Disconnected('peer closed the connection')) })
    for (const c of this.early.splice(0)) this.bytes(c)
  }

  /** Bytes read from the socket; `chunk` is only valid during the call. */
  bytes (chunk: Uint8Array): void {
    if (this.done) return
    if (this.handler === undefined) { this.early.push(chunk.slice()); return }
    this.decode(chunk)
  }

  close (err?: Error): void {
    if (this.done) return
    this.writer.flush()
    this.finish(err)
    this.socket.end()
    setTimeout(() => { this.socket.destroy() }, 1000).unref()
  }

  protected write (chunk: Uint8Array): void {
    if (!this.done) this.socket.write(chunk)
  }

  /** One flush's writes leave in one writev. */
  protected batch (writes: () => void): void {
    this.socket.cork()
    try { writes() } finally { this.socket.uncork() }
  }

  protected fail (err: Error): void {
    if (this.done) return
    this.finish(err)
    this.socket.destroy()
  }
}

/** A transport over a connected Duplex (net.Socket or any byte stream). */
export function socketTransport (socket: Duplex): MessageTransport {
  if (socket instanceof net.Socket) socket.setNoDelay(true)
  return new SocketTransport(socket)
}

/** Bytes of the buffer a connecting socket reads into (reused for every read; the decoder copies). */
const READ_BUFFER_BYTES = 64 << 10

/** Connects with `onread` (reads land in one reused buffer, no stream machinery per read). */
async function connectDirect (options: { path: string } | { port: number, host: string }): Promise<MessageTransport> {
  let transport: SocketTransport | undefined
  const socket = net.connect({
    ...options,
    onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), callback: (n, buf) => { transport?.bytes(buf.subarray(0, n)); return true } }
  })
  socket.setNoDelay(true)
  transport = new SocketTransport(socket, true)
  const t = transport
  return await new Promise((resolve, reject) => {
    socket.once('connect', () => { socket.off('error', reject); resolve(t) })
    socket.once('error', reject)
  })
}

export async function connectUnix (path: string): Promise<MessageTransport> {
  return await connectDirect({ path })
}

export async function connectTcp (port: number, host = '127.0.0.1'): Promise<MessageTransport> {
  return await connectDirect({ port, host })
}

/** Listens on a unix socket path (or TCP port when given a number); one transport per accepted socket. */
export async function listen (where: string | { port: number, host?: string }, accept: (t: MessageTransport) => void): Promise<net.Server> {
  const server = net.createServer((socket) => { accept(socketTransport(socket)) })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if (typeof where === 'string') server.listen(where, resolve)
    else server.listen(where.port, where.host ?? '127.0.0.1', resolve)
  })
  return server
}

export async function listenUnix (path: string, accept: (t: MessageTransport) => void): Promise<net.Server> {
  return await listen(path, accept)
}
