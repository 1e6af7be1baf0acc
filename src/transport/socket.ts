// Transports over node:net: any Duplex byte stream (unix socket, TCP).
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { FrameDecoder, type FrameLimits } from './framing.js'
import type { MessageTransport, TransportHandler } from './transport.js'
import { BatchWriter } from './batch-writer.js'
import { Disconnected } from '../errors.js'

class SocketTransport implements MessageTransport {
  private done = false
  private handler?: TransportHandler
  private readonly writer: BatchWriter

  constructor (private readonly socket: Duplex) {
    this.writer = new BatchWriter((chunk) => { if (!this.done) socket.write(chunk) })
  }

  start (handler: TransportHandler, limits: FrameLimits): void {
    this.handler = handler
    const decoder = new FrameDecoder(limits)
    this.socket.on('data', (chunk: Buffer) => {
      if (this.done) return
      let messages
      try {
        messages = decoder.push(chunk)
      } catch (err) {
        this.fail(err as Error)
        return
      }
      for (const m of messages) {
        if (this.done) return
        handler.message(m)
      }
    })
    this.socket.on('error', (err) => { this.fail(new Disconnected(err.message)) })
    this.socket.on('close', () => { this.fail(new Disconnected('socket closed')) })
    this.socket.on('end', () => { this.fail(new Disconnected('peer closed the connection')) })
  }

  send (frame: Uint8Array): void {
    if (this.done) return
    this.writer.push(frame)
  }

  close (err?: Error): void {
    if (this.done) return
    this.writer.flush()
    this.finish(err)
    this.socket.end()
    setTimeout(() => { this.socket.destroy() }, 1000).unref()
  }

  private fail (err: Error): void {
    if (this.done) return
    this.finish(err)
    this.socket.destroy()
  }

  private finish (err?: Error): void {
    this.done = true
    this.handler?.closed(err)
  }
}

/** A transport over a connected Duplex (net.Socket or any byte stream). */
export function socketTransport (socket: Duplex): MessageTransport {
  if (socket instanceof net.Socket) socket.setNoDelay(true)
  return new SocketTransport(socket)
}

function connected (socket: net.Socket): Promise<MessageTransport> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => { socket.off('error', reject); resolve(socketTransport(socket)) })
    socket.once('error', reject)
  })
}

export async function connectUnix (path: string): Promise<MessageTransport> {
  return await connected(net.connect({ path }))
}

export async function connectTcp (port: number, host = '127.0.0.1'): Promise<MessageTransport> {
  return await connected(net.connect({ port, host }))
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
