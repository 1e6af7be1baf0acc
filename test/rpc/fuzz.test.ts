// Bad input: random and mutated frames fed to connections. Each connection either processes the
// input or aborts; nothing throws out, nothing hangs, memory stays bounded.
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { Connection } from '../../src/rpc/index.js'
import { FrameDecoder, encodeFrame, type FrameLimits, type MessageTransport, type TransportHandler } from '../../src/transport/index.js'
import { ChanClient } from '../../src/schema/channel.rpc.js'

class FeedTransport implements MessageTransport {
  handler?: TransportHandler
  decoder?: FrameDecoder
  closed = false
  sent = 0
  start (h: TransportHandler, limits: FrameLimits): void { this.handler = h; this.decoder = new FrameDecoder(limits) }
  send (): void { this.sent++ }
  close (): void { if (!this.closed) { this.closed = true; this.handler?.closed() } }
  feed (bytes: Uint8Array): void {
    if (this.closed) return
    let msgs
    try { msgs = this.decoder!.push(bytes) } catch (err) { this.closed = true; this.handler!.closed(err as Error); return }
    for (const m of msgs) { if (this.closed) return; this.handler!.message(m) }
  }
}

function frameOf (msg: capnp.Message): Uint8Array {
  const segs = msg._capnp.segments
  return encodeFrame(segs.map((s) => s.buffer), segs.map((s) => (s.byteLength + 7) & ~7))
}

function validFrames (): Uint8Array[] {
  const out: Uint8Array[] = []
  const boot = new capnp.Message(); boot.initRoot(rpc.Message)._initBootstrap().questionId = 0; out.push(frameOf(boot))
  const call = new capnp.Message()
  const c = call.initRoot(rpc.Message)._initCall()
  c.questionId = 1; c.interfaceId = ChanClient.interfaceId; c.methodId = 3
  const pa = c.target._initPromisedAnswer(); pa.questionId = 0; pa._initTransform(1).get(0).getPointerField = 0
  const params = c._initParams(); capnp.utils.initStructAt(0, ChanClient.methods.stat.Params, params)
  const ct = params._initCapTable(2); ct.get(0).senderHosted = 7; ct.get(1)._initReceiverAnswer().questionId = 0
  out.push(frameOf(call))
  const fin = new capnp.Message(); fin.initRoot(rpc.Message)._initFinish().questionId = 1; out.push(frameOf(fin))
  const rel = new capnp.Message(); const r = rel.initRoot(rpc.Message)._initRelease(); r.id = 0; r.referenceCount = 1; out.push(frameOf(rel))
  const dis = new capnp.Message(); const d = dis.initRoot(rpc.Message)._initDisembargo(); d.target.importedCap = 0; d.context.senderLoopback = 3; out.push(frameOf(dis))
  const res = new capnp.Message(); const rs = res.initRoot(rpc.Message)._initResolve(); rs.promiseId = 7; rs._initCap().senderHosted = 9; out.push(frameOf(res))
  return out
}

function rng (seed: number): () => number {
  let s = seed >>> 0
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s }
}

describe('rpc: bad input', function () {
  // 16 s of CPU on an idle machine: at load 10 on 2 vCPUs it gets a sixth of one
  this.timeout(600_000)

  it('survives 100,000 random and mutated frames', async () => {
    const rand = rng(12345)
    const valid = validFrames()
    const impl = { stat () {}, send () {}, recv () {}, close () {}, sender () {}, recver () {}, closer () {} }
    const boot = ChanClient.serve(impl as any)
    let conn: Connection | undefined
    let t!: FeedTransport
    let aborted = 0
    let connections = 0
    const fresh = (): void => {
      t = new FeedTransport()
      conn = new Connection(t, { bootstrap: boot, limits: { maxMessageBytes: 1 << 16, maxSegments: 16, maxAnswers: 64 } })
      connections++
    }
    fresh()
    const heapBefore = process.memoryUsage().heapUsed
    const total = 100_000
    for (let i = 0; i < total; i++) {
      let frame: Uint8Array
      const kind = rand() % 4
      if (kind === 0) {
        frame = new Uint8Array(8 + (rand() % 64))
        for (let j = 0; j < frame.length; j++) frame[j] = rand() & 0xff
        if (rand() % 2 === 0) { frame[0] = rand() % 3; frame[1] = frame[2] = frame[3] = 0; frame[4] = (frame.length - 8) / 8 | 0; frame[5] = frame[6] = frame[7] = 0 }
      } else {
        frame = valid[rand() % valid.length].slice()
        const flips = 1 + (rand() % 4)
        for (let j = 0; j < flips && kind !== 3; j++) frame[8 + (rand() % Math.max(1, frame.length - 8))] ^= 1 << (rand() % 8)
      }
      t.feed(frame)
      if (t.closed) { aborted++; fresh() }
      if (i % 5000 === 0) await new Promise((r) => setImmediate(r))
    }
    await new Promise((r) => setTimeout(r, 10))
    conn?.close()
    boot.release()
    global.gc?.()
    const grown = process.memoryUsage().heapUsed - heapBefore
    assert.ok(aborted > 0 && aborted < total, `some connections aborted (${aborted}) and some input was processed`)
    assert.ok(connections > 1)
    assert.ok(grown < 200 * 1024 * 1024, `heap grew by ${grown} bytes`)
  })
})
