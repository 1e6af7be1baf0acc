// A program holding a node's API socket that sends calls and never reads the replies, so the node's writes back up.
import net from 'node:net'
import { Connection } from '../../src/rpc/index.js'
import { HostClient } from '../../src/schema/host.rpc.js'
import type { MessageTransport } from '../../src/transport/index.js'
import { CliNode, tempHome } from './cli-node.js'

/** The bytes a client sends for a bootstrap and `calls` info() calls pipelined on it (recorded, never sent). */
export async function recordedInfoCalls (calls: number): Promise<Buffer> {
  const frames: Uint8Array[] = []
  const recorder: MessageTransport = { start () {}, send (frame) { frames.push(frame.slice()) }, close () {} }
  const conn = new Connection(recorder, { name: 'recorder' })
  const host = conn.bootstrap(HostClient)
  for (let i = 0; i < calls; i++) host.info()
  await new Promise(resolve => setImmediate(resolve))
  return Buffer.concat(frames)
}

/** A raw connection to a node's API socket, once connected; later errors are ignored (the node may close it). */
export async function connectedSocket (socketPath: string): Promise<net.Socket> {
  const socket = net.connect(socketPath)
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  return socket
}

/**
 * Connects to `socketPath`, writes `bytes`, and stops reading at the first reply (the stream buffers at most its
 * high-water mark after that; the rest backs up in the kernel and in the node). Resolves once that reply came.
 */
export async function neverReadingClient (socketPath: string, bytes: Buffer): Promise<net.Socket> {
  const socket = await connectedSocket(socketPath)
  const replied = new Promise<void>(resolve => socket.once('data', () => { socket.pause(); resolve() }))
  socket.write(bytes)
  await replied
  return socket
}

/**
 * For a suite of raw API clients: a `ww start` node started before its tests, and the sockets they open, destroyed
 * after them with the node. Call inside `describe`; read `node` in the tests.
 */
export function nodeWithRawSockets (): { node: CliNode, sockets: net.Socket[] } {
  const suite = { node: undefined as unknown as CliNode, sockets: [] as net.Socket[] }
  before(async () => { suite.node = await CliNode.start(tempHome()) })
  after(async () => {
    for (const s of suite.sockets) s.destroy()
    await suite.node?.stop()
    suite.node?.cleanup()
  })
  return suite
}
