// Channel sends against raw messages of the same size on the same link, in the same run: what
// bench/chan/remote.ts (libp2p) and bench/chan/unix.ts (a unix socket) share.
//
// A raw run writes N length-prefixed messages (4-byte prefix, one write per message) and the
// other end cuts them out of the byte stream as a consumer would: a message inside one chunk is a
// view of it, one split across chunks is copied together once. A chan run sends the same N
// messages through a Sender capability to a Chan on the other end, WINDOW sends in flight (as
// `ww send`), drained by a local receiver. Rounds alternate raw and chan runs, so a shared
// machine's load weighs on both alike; the figure is the median of the per-round ratios.
//
// Knobs: WW_BENCH_SIZES (default 16,1024,65536), WW_BENCH_BYTES (bytes per run: messages =
// min(WW_BENCH_MESSAGES (the link's default), bytes / size); default 64 MiB), WW_BENCH_ROUNDS (5),
// WW_BENCH_WARMUP (2 untimed pairs), WW_BENCH_WINDOW (128). A link's default number of messages
// (Link.messages, else 10,000) sets how long a run lasts: on the unix socket 100,000, since 10,000
// small raw messages took 10 ms, shorter than a scheduler's slice on a loaded machine (one round's
// ratio swung from 0.07 to 0.34); over libp2p 10,000, since a raw libp2p stream with a backlog of
// 100,000 sends slows down per message (16 B: 18 µs of CPU each against 3).
import { Chan } from '../../src/csp/chan.js'
import { releaseMessage, writeMessageField, type ChanMessage } from '../../src/caps/chan-message.js'
import type { SenderClient } from '../../src/schema/channel.rpc.js'
import type { Message, Sender_Send$Params } from '../../src/schema/channel.js'

/** How `ww send` fills a send's params (cmd/send-window.ts). */
const initMsg = (p: Sender_Send$Params): Message => p._initMsg()

export const WINDOW = Number(process.env.WW_BENCH_WINDOW ?? 128)
export const SIZES = (process.env.WW_BENCH_SIZES ?? '16,1024,65536').split(',').map(Number)
const MESSAGES = process.env.WW_BENCH_MESSAGES === undefined ? undefined : Number(process.env.WW_BENCH_MESSAGES)
const BYTES = Number(process.env.WW_BENCH_BYTES ?? 64 << 20)
const ROUNDS = Number(process.env.WW_BENCH_ROUNDS ?? 5)
const WARMUP = Number(process.env.WW_BENCH_WARMUP ?? 2)

/** Messages per run for messages of `size` bytes on a link whose default is `messages`. */
export function messagesFor (size: number, messages = 10_000): number {
  return Math.max(100, Math.min(MESSAGES ?? messages, Math.floor(BYTES / size)))
}

/** A link measured both ways: each run moves n messages of size bytes and answers messages/s. */
export interface Link {
  raw: (size: number, n: number) => Promise<number>
  chan: (size: number, n: number) => Promise<number>
  /** The floor of an acknowledged send on this link (acked.ts), when measured. */
  acked?: (size: number, n: number) => Promise<number>
  /** Messages a run at most by default (else 10,000; WW_BENCH_MESSAGES overrides it). */
  messages?: number
}

/** `size` bytes of a repeating non-zero pattern: a payload a layout bug cannot pass for (zeroes would). */
export function payload (size: number): Uint8Array {
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff || 1
  return data
}

/** One raw frame: a 4-byte big-endian length, then `size` bytes of the same payload as the channel's. */
export function rawFrame (size: number): Uint8Array {
  const frame = new Uint8Array(4 + size)
  new DataView(frame.buffer).setUint32(0, size)
  frame.set(payload(size), 4)
  return frame
}

/**
 * A consumer of length-prefixed messages: feed it received chunks (valid only during the call);
 * `done` runs after `n` whole messages.
 */
export function rawReceiver (n: number, done: () => void, each?: () => void): (chunk: Uint8Array) => void {
  const header = new Uint8Array(4)
  let headerHave = 0
  let body: Uint8Array | undefined // a message split across chunks, being copied together
  let bodyHave = 0
  let count = 0
  let sink = 0
  const got = (m: Uint8Array): void => { sink ^= m.byteLength; each?.(); if (++count === n) { done(); void sink } }
  return (chunk) => {
    let o = 0
    while (o < chunk.byteLength) {
      if (body !== undefined) {
        const take = Math.min(body.byteLength - bodyHave, chunk.byteLength - o)
        body.set(chunk.subarray(o, o + take), bodyHave)
        bodyHave += take
        o += take
        if (bodyHave === body.byteLength) { got(body); body = undefined }
        continue
      }
      if (headerHave === 0 && chunk.byteLength - o >= 4) {
        const len = (chunk[o] << 24 | chunk[o + 1] << 16 | chunk[o + 2] << 8 | chunk[o + 3]) >>> 0
        if (chunk.byteLength - o - 4 >= len) { got(chunk.subarray(o + 4, o + 4 + len)); o += 4 + len; continue }
        body = new Uint8Array(len)
        bodyHave = 0
        o += 4
        continue
      }
      header[headerHave++] = chunk[o++]
      if (headerHave === 4) {
        headerHave = 0
        body = new Uint8Array(new DataView(header.buffer).getUint32(0))
        bodyHave = 0
        if (body.byteLength === 0) { got(body); body = undefined }
      }
    }
  }
}

/** Sends n messages of `size` bytes through `sender` (WINDOW in flight) while `chan` is drained here; messages/s. */
export async function sendThrough (sender: SenderClient, chan: Chan<ChanMessage>, size: number, n: number): Promise<number> {
  const data = payload(size)
  // Warm up the connection (first calls pay for bootstrap and JIT).
  for (let i = 0; i < 20; i++) {
    const sent = sender.send((p) => { writeMessageField(p, 0, { data }, initMsg) })
    await sent
    sent.release()
    const got = await chan.recv()
    if (Buffer.compare(got.data, data) !== 0) throw new Error(`bench-chan: a ${size}-byte message arrived changed`)
    releaseMessage(got)
  }
  const start = process.hrtime.bigint()
  const receiving = (async () => { for (let i = 0; i < n; i++) releaseMessage(await chan.recv()) })()
  // Sends on one connection complete in order: waiting for the oldest keeps WINDOW in flight, as
  // `ww send` does. The window is a ring, awaited inline: like the raw loop, the loop itself makes
  // nothing per message.
  const inFlight = new Array<ReturnType<typeof sender.send>>(WINDOW)
  for (let i = 0; i < n + WINDOW; i++) {
    const slot = i % WINDOW
    if (i >= WINDOW) {
      const oldest = inFlight[slot]
      await oldest.results
      oldest.release()
    }
    if (i < n) inFlight[slot] = sender.send((p) => { writeMessageField(p, 0, { data }, initMsg) })
  }
  await receiving
  return n / (Number(process.hrtime.bigint() - start) / 1e9)
}

/** Runs `run` (a rate), with the CPU time this process spent in it. */
async function cpuTimed (run: () => Promise<number>): Promise<{ rate: number, cpuUs: number }> {
  const before = process.cpuUsage()
  const rate = await run()
  const used = process.cpuUsage(before)
  return { rate, cpuUs: used.user + used.system }
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]

/** Rounds of raw runs alternating with runs of `other` (chan or acked) at `size`: rates and CPU per message. */
async function rounds (link: Link, other: (size: number, n: number) => Promise<number>, size: number): Promise<Array<{ raw: number, other: number, rawCpu: number, otherCpu: number }>> {
  const n = messagesFor(size, link.messages)
  for (let i = 0; i < WARMUP; i++) { await link.raw(size, n); await other(size, n) }
  const out: Array<{ raw: number, other: number, rawCpu: number, otherCpu: number }> = []
  for (let i = 0; i < ROUNDS; i++) {
    const raw = await cpuTimed(async () => await link.raw(size, n))
    const o = await cpuTimed(async () => await other(size, n))
    out.push({ raw: raw.rate, other: o.rate, rawCpu: raw.cpuUs / n, otherCpu: o.cpuUs / n })
  }
  return out
}

/**
 * Runs the rounds for every size and prints `chan.<name>.over_raw.<size>` and the message rates;
 * then, when the link has one, the acknowledged-send floor for every size, in a pass of its own
 * (its runs' garbage, collected during later runs, must not weigh on the channel's figures).
 */
export async function measure (name: string, link: Link): Promise<void> {
  const chanRates = new Map<number, number>()
  for (const size of SIZES) {
    const r = await rounds(link, link.chan, size)
    const ratios = r.map(x => x.other / x.raw)
    chanRates.set(size, median(r.map(x => x.other)))
    console.log(`chan.${name}.over_raw.${size}: ${median(ratios).toFixed(2)}   ` +
      `(chan ${Math.round(median(r.map(x => x.other)))} msgs/s, raw ${Math.round(median(r.map(x => x.raw)))} msgs/s, ` +
      `${messagesFor(size, link.messages)} messages a run; per round: ${ratios.map(x => x.toFixed(2)).join(' ')})`)
    // CPU time (both ends, user + system) per message: what a loaded machine changes least.
    console.log(`chan.${name}.cpu_us_per_msg.${size}: chan ${median(r.map(x => x.otherCpu)).toFixed(1)}, raw ${median(r.map(x => x.rawCpu)).toFixed(1)}`)
  }
  if (link.acked === undefined) return
  for (const size of SIZES) {
    // The floor of any acknowledged send (acked.ts) against raw, and the channel's median rate against the floor's.
    const r = await rounds(link, link.acked, size)
    const floor = r.map(x => x.other / x.raw)
    const acked = median(r.map(x => x.other))
    console.log(`chan.${name}.acked_over_raw.${size}: ${median(floor).toFixed(2)}   ` +
      `(acked ${Math.round(acked)} msgs/s, ${median(r.map(x => x.otherCpu)).toFixed(1)} µs of CPU a message; per round: ${floor.map(x => x.toFixed(2)).join(' ')})`)
    console.log(`chan.${name}.over_acked.${size}: ${(chanRates.get(size)! / acked).toFixed(2)}   (median rates of the two passes)`)
  }
}
