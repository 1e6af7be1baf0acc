// Loaded into a node process with `--import` (bench only: idle-traffic.ts): counts what the process's yamux streams
// send, per protocol (bytes of payload and frames; a stream still negotiating its protocol counts as
// "(multistream)"), and window updates, resets and closes, and the streams that sent anything, per protocol. On
// SIGUSR2 it writes the counts so far as JSON to $WW_TRAFFIC_PROBE_DIR/<pid>.json. Nothing in ww's own code knows of it:
// it wraps YamuxStream's prototype, which the node's modules share (the same file, by real path).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { YamuxStream } from '@chainsafe/libp2p-yamux/stream'

export interface ProtocolCounts { bytes: number, frames: number, control: number, streams: number }

const counts = new Map<string, ProtocolCounts>()
const seen = new WeakSet<object>()

interface Probed { protocol?: string }

function entry (stream: Probed): ProtocolCounts {
  const name = stream.protocol === undefined || stream.protocol === '' ? '(multistream)' : stream.protocol
  let c = counts.get(name)
  if (c === undefined) counts.set(name, c = { bytes: 0, frames: 0, control: 0, streams: 0 })
  if (!seen.has(stream)) { seen.add(stream); c.streams++ }
  return c
}

type Fn = (this: Probed, ...args: any[]) => any
const proto = YamuxStream.prototype as unknown as Record<string, Fn>

const sendData = proto.sendData
proto.sendData = function (this: Probed, buf: { byteLength: number }) {
  const before = buf.byteLength
  const r = sendData.call(this, buf)
  const c = entry(this)
  c.bytes += before - buf.byteLength
  c.frames += Math.max(1, Math.ceil((before - buf.byteLength) / 262_144))
  return r
}
for (const name of ['sendReset', 'sendCloseWrite']) {
  const fn = proto[name]
  proto[name] = function (this: Probed, ...args: any[]) { entry(this).control++; return fn.apply(this, args) }
}
// lazy-window-updates.ts replaces sendWindowUpdate when the node starts: wrap whatever it is set to.
let windowUpdate = proto.sendWindowUpdate
Object.defineProperty(YamuxStream.prototype, 'sendWindowUpdate', {
  configurable: true,
  get () {
    return function (this: Probed & { sendFrame: Fn }, ...args: any[]) {
      const frame = this.sendFrame
      let sent = 0
      this.sendFrame = function (this: unknown, ...a: any[]) { sent++; return frame.apply(this as Probed, a) }
      try { return windowUpdate.apply(this, args) } finally {
        this.sendFrame = frame
        if (sent > 0) entry(this).control += sent
      }
    }
  },
  set (fn: Fn) { windowUpdate = fn }
})

process.on('SIGUSR2', () => {
  const dir = process.env.WW_TRAFFIC_PROBE_DIR
  if (dir === undefined) return
  writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(Object.fromEntries(counts)))
})
