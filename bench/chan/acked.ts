// The floor under a channel send at small sizes: the least a JS program does to send a message and
// learn, per message, that the other end took it. Measured beside raw and chan runs (over-raw.ts),
// so the figures say how much of the gap to raw bytes any acknowledged send pays, and how much is
// the channel's (Cap'n Proto framing, the RPC tables, capabilities, the Chan).
//
// The protocol: each message is a 4-byte length and its bytes; the receiver hands each to a JS
// callback and answers with a 4-byte acknowledgement (the messages of one read acknowledged in one
// write, as the RPC's Returns of a tick leave in one write); the sender keeps WINDOW messages in
// flight, each a promise settled by its acknowledgement (a send the caller awaits, like
// `Sender.send`), and writes the frames of one tick in one write (a large message's bytes as they
// are, corked into one writev, as the RPC transport does).
import type { Socket } from 'node:net'
import { payload, rawReceiver } from './over-raw.js'

/** Messages this large are written as they are after their header (as the RPC transport sends large segments), not copied. */
const LARGE_BYTES = 16 << 10

/** The receiving end on `socket`: n messages, each handed to a callback, each acknowledged. */
export function ackingReceiver (socket: Socket, n: number, done: () => void): void {
  let pending = 0
  const feed = rawReceiver(n, done, () => { pending++ })
  socket.on('data', (chunk: Buffer) => {
    feed(chunk)
    if (pending === 0) return
    socket.write(new Uint8Array(4 * pending)) // zeroes: one empty acknowledgement per message
    pending = 0
  })
}

/** What the sending end does with the bytes it reads (acknowledgements): give it to `onread` of the connecting socket. */
export interface AckReader { read: (bytes: number) => void }

/**
 * The sending end on `socket` (connected with `onread` feeding `acks`, as connectUnix connects):
 * sends n messages of `size` bytes, WINDOW in flight; messages/s.
 */
export async function ackedSends (socket: Socket, acks: AckReader, size: number, n: number, window: number): Promise<number> {
  const waiting = new Array<() => void>(n)
  let head = 0
  let tail = 0
  let partial = 0
  acks.read = (bytes) => {
    partial += bytes
    while (partial >= 4) { partial -= 4; waiting[head++]() }
  }
  // The frames of one tick, written together once every promise job has run (a nextTick queued from
  // a promise job runs after them, as the RPC's outbox does; a microtask would run between them).
  const out = new Uint8Array(1 << 20)
  const dv = new DataView(out.buffer)
  let used = 0
  let flushing = false
  let corked = false
  const flush = (): void => {
    if (used > 0) socket.write(out.slice(0, used))
    used = 0
  }
  const endTick = (): void => {
    flushing = false
    flush()
    if (corked) { corked = false; socket.uncork() }
  }
  const send = (data: Uint8Array): Promise<void> => {
    if (data.byteLength >= LARGE_BYTES) {
      // Large: its header, then its bytes as they are (no copy), in the tick's one writev.
      if (used > 0) flush()
      if (!corked) { corked = true; socket.cork() }
      const header = new Uint8Array(4)
      new DataView(header.buffer).setUint32(0, data.byteLength)
      socket.write(header)
      socket.write(data)
    } else {
      if (used + 4 + data.byteLength > out.byteLength) flush()
      dv.setUint32(used, data.byteLength)
      out.set(data, used + 4)
      used += 4 + data.byteLength
    }
    if (!flushing) { flushing = true; process.nextTick(endTick) }
    const { promise, resolve } = Promise.withResolvers<void>()
    waiting[tail++] = resolve
    return promise
  }
  const data = payload(size)
  const start = process.hrtime.bigint()
  const inFlight = new Array<Promise<void>>(window)
  for (let i = 0; i < n + window; i++) {
    const slot = i % window
    if (i >= window) await inFlight[slot]
    if (i < n) inFlight[slot] = send(data)
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9)
}
