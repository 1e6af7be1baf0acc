// Yamux window updates only when the window is half used, as go-yamux and hashicorp/yamux send them.
// @chainsafe/libp2p-yamux sends one for every data frame a stream receives, however small: on an idle node nearly
// every frame is a SWIM ping or ack of a few bytes, so each message received cost a frame sent back (a noise
// encryption and a write) that tells the peer nothing it needs. Here a stream grants credit back once half of its
// receive window is used (or with a flag to send: SYN, ACK), the rule of the Go implementations; the window's
// auto-tuning (doubling when a window's worth arrives within four round trips) is the package's own.
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'

const windowUpdate = 1 // FrameType.WindowUpdate (frame.js; the package exports its type only)

interface StreamInternals {
  state: number
  recvWindow: number
  recvWindowCapacity: number
  maxStreamWindowSize: number
  epochStart: number
  streamId: number
  getRTT: () => number
  getSendFlags: () => number
  sendFrame: (header: { type: number, flag: number, streamID: number, length: number }) => boolean
}

let installed = false

/** Makes every yamux stream of this process send window updates lazily (idempotent). */
export function lazyYamuxWindowUpdates (): void {
  if (installed) return
  installed = true
  const proto = YamuxStream.prototype as unknown as { sendWindowUpdate: (this: StreamInternals) => void }
  if (typeof proto.sendWindowUpdate !== 'function') return // another yamux version: keep its behaviour
  proto.sendWindowUpdate = function (this: StreamInternals): void {
    if (this.state === StreamState.Paused) {
      this.epochStart = Date.now()
      return
    }
    const flags = this.getSendFlags()
    const now = Date.now()
    const rtt = this.getRTT()
    const used = this.recvWindow - this.recvWindowCapacity
    if (flags === 0 && used < this.recvWindow / 2) return
    if (flags === 0 && rtt > -1 && now - this.epochStart <= rtt * 4) {
      this.recvWindow = Math.min(this.recvWindow * 2, this.maxStreamWindowSize)
    }
    const delta = this.recvWindow - this.recvWindowCapacity
    if (delta <= 0 && flags === 0) return
    this.recvWindowCapacity = this.recvWindow
    this.epochStart = now
    this.sendFrame({ type: windowUpdate, flag: flags, streamID: this.streamId, length: delta })
  }
}
