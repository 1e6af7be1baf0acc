// The TypeScript side of the interop suite: the objects a TS peer hosts (Counter, Callback, Thrower,
// Node, Sink) and a Test server equivalent to cpp/server.c++. `Live` counts hosted objects whose
// last reference is still held somewhere, so release can be observed from either side.
import { Disconnected, Unavailable, Unimplemented, WwError } from '../../../src/errors.js'
import { type Capability, type CallContext, exceptionTypeOf } from '../../../src/rpc/index.js'
import type { Counter_Add$Params, AddResult, ErrorKind, Sink_Write$Params } from './gen/interop.js'
import { ErrorKind as Kind } from './gen/interop.js'
import {
  CallbackClient, type CallbackServer, CounterClient, type CounterServer, Holder$Caps, NodeClient, type NodeServer,
  SinkClient, type SinkServer, TestClient, type TestServer, type ThrowerServer,
  Test_AddVia$Params$Caps, Test_CallCounter$Params$Caps, Test_EchoCounter$Params$Caps, Test_EchoCounter$Results$Caps,
  Test_Hold$Params$Caps, Test_LaterCounter$Results$Caps, Test_LaterEcho$Params$Caps, Test_LaterEcho$Results$Caps,
  Test_NewCounter$Results$Caps, Test_Register$Params$Caps, Test_RelayFailure$Params$Caps, Test_Root$Results$Caps,
  Test_Sink$Results$Caps, Node_Child$Results$Caps
} from './gen/interop.rpc.js'
import { capListGet, capListSet } from './cap-list.js'
import { fillSample, sampleA, sampleB, sampleMismatches } from './samples.js'

export class Live {
  count = 0
}

export const sleep = async (ms: number, signal?: AbortSignal): Promise<void> => await new Promise((resolve) => {
  const t = setTimeout(resolve, ms)
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
})

/** A counter that records every add (call order is observable). */
export class CounterImpl implements CounterServer {
  adds: bigint[] = []
  constructor (public value: bigint, private readonly live?: Live) { if (live !== undefined) live.count++ }
  add (params: Counter_Add$Params, results: AddResult): void {
    this.adds.push(params.by)
    this.value += params.by
    results.value = this.value
  }

  get (_: unknown, results: { value: bigint }): void { results.value = this.value }
  history (_: unknown, results: { _initAdds: (n: number) => { set: (i: number, v: bigint) => void } }): void {
    const list = results._initAdds(this.adds.length)
    this.adds.forEach((v, i) => { list.set(i, v) })
  }

  [Symbol.dispose] (): void { if (this.live !== undefined) this.live.count-- }
}

export class CallbackImpl implements CallbackServer {
  seen: bigint[] = []
  constructor (private readonly live?: Live) { if (live !== undefined) live.count++ }
  notify (params: { value: bigint }, results: { ack: bigint }): void {
    this.seen.push(params.value)
    results.ack = params.value * 2n
  }

  [Symbol.dispose] (): void { if (this.live !== undefined) this.live.count-- }
}

const kindNames: Record<ErrorKind, string> = { 0: 'failed', 1: 'overloaded', 2: 'disconnected', 3: 'unimplemented' }
export const kindName = (k: ErrorKind): string => kindNames[k]

/** An error that crosses the wire with the exception type `kind`. */
export function errorOfKind (kind: ErrorKind, reason: string): Error {
  switch (kind) {
    case Kind.OVERLOADED: return new Unavailable(reason)
    case Kind.DISCONNECTED: return new Disconnected(reason)
    case Kind.UNIMPLEMENTED: return new Unimplemented(reason)
    default: return new Error(reason)
  }
}

export function kindOfError (err: unknown): ErrorKind {
  switch (exceptionTypeOf(err)) {
    case 'overloaded': return Kind.OVERLOADED
    case 'disconnected': return Kind.DISCONNECTED
    case 'unimplemented': return Kind.UNIMPLEMENTED
    default: return Kind.FAILED
  }
}

export const reasonOfError = (err: unknown): string => err instanceof Error ? err.message : String(err)

export class ThrowerImpl implements ThrowerServer {
  raise (params: { kind: ErrorKind, reason: string }): void { throw errorOfKind(params.kind, params.reason) }
}

class NodeImpl implements NodeServer {
  constructor (private readonly path_: string, private readonly live: Live) { live.count++ }
  child (params: { name: string }, results: object): void {
    const c = NodeClient.serve(new NodeImpl(`${this.path_}/${params.name}`, this.live))
    Node_Child$Results$Caps.node.set(results as never, c)
    c.release()
  }

  path (_: unknown, results: { path: string }): void { results.path = this.path_ }
  [Symbol.dispose] (): void { this.live.count-- }
}

class SinkProgress { chunks = 0; bytes = 0n }

class SinkImpl implements SinkServer {
  constructor (private readonly delayMs: number, readonly progress: SinkProgress, private readonly live: Live) { live.count++ }
  async write (params: Sink_Write$Params): Promise<void> {
    const size = params.chunk.length
    await sleep(this.delayMs)
    this.progress.chunks++
    this.progress.bytes += BigInt(size)
  }

  done (_: unknown, results: { bytes: bigint, chunks: number }): void {
    results.bytes = this.progress.bytes
    results.chunks = this.progress.chunks
  }

  [Symbol.dispose] (): void { this.live.count-- }
}

/** Counts of hang() calls, process-wide like the C++ server's. */
const hangCounts = { started: 0, canceled: 0 }

/** A local helper whose answers arrive late: its pipelined results are promise capabilities. */
function delayedCap<C extends Capability> (delayMs: number, produce: () => Capability, Client: new (...a: any[]) => C): C {
  const helper = TestClient.serve({
    async newCounter (_p: unknown, results: never) {
      await sleep(delayMs)
      const c = produce()
      Test_NewCounter$Results$Caps.counter.set(results, c)
      c.release()
    }
  } as unknown as TestServer)
  const answer = helper.newCounter()
  const cap = answer.pipeline.counter.as(Client as never) as C
  // Keep the answer until it settles (releasing it earlier would cancel the call).
  answer.then(() => { answer.release() }, () => { answer.release() })
  helper.release()
  return cap
}

/** The Test server, one per connection (like the C++ server). */
export class TestImpl implements Omit<TestServer, 'missing'> {
  private readonly callbacks: CallbackClient[] = []
  private readonly held: CounterClient[] = []
  private lastSink?: SinkProgress

  constructor (readonly live: Live) {}

  exchange (params: any, results: any): void {
    const bad = sampleMismatches(params.p, sampleA)
    fillSample(results._initP(), sampleB)
    results.mismatches = bad
  }

  newCounter (params: any, results: any): void {
    const c = CounterClient.serve(new CounterImpl(params.start, this.live))
    Test_NewCounter$Results$Caps.counter.set(results, c)
    c.release()
  }

  async callCounter (params: any, results: any): Promise<void> {
    const counter = Test_CallCounter$Params$Caps.counter.get(params)
    const by = params.by as bigint
    using answer = counter.add((p) => { p.by = by })
    results.value = (await answer).value
  }

  makeHolder (params: any, results: any): void {
    const h = results._initHolder()
    h.name = params.name
    const c = CounterClient.serve(new CounterImpl(params.start, this.live))
    Holder$Caps.counter.set(h, c)
    c.release()
    const list = h._initCounters(params.extra)
    for (let i = 0; i < params.extra; i++) {
      const ci = CounterClient.serve(new CounterImpl(params.start + BigInt(i + 1), this.live))
      capListSet(list, i, ci)
      ci.release()
    }
  }

  async sumHolder (params: any, results: any): Promise<void> {
    const h = params.holder
    const caps = [Holder$Caps.counter.get(h)]
    const list = h.counters
    for (let i = 0; i < list.length; i++) caps.push(capListGet(list, i, CounterClient))
    const answers = caps.map((c) => c.get())
    try {
      const values = await Promise.all(answers)
      results.sum = values.reduce((s, v) => s + v.value, 0n)
    } finally {
      for (const a of answers) a.release()
    }
  }

  register (params: any, results: any): void {
    this.callbacks.push(Test_Register$Params$Caps.cb.get(params).dup())
    results.registered = this.callbacks.length
  }

  async fire (params: any, results: any): Promise<void> {
    const value = params.value as bigint
    const answers = this.callbacks.map((cb) => cb.notify((p) => { p.value = value }))
    try {
      const acks = await Promise.all(answers)
      results.sum = acks.reduce((s, a) => s + a.ack, 0n)
      results.count = answers.length
    } finally {
      for (const a of answers) a.release()
    }
  }

  unregisterAll (_: any, results: any): void {
    results.dropped = this.callbacks.length
    for (const cb of this.callbacks.splice(0)) cb.release()
  }

  root (params: any, results: any): void {
    const n = NodeClient.serve(new NodeImpl(params.name, this.live))
    Test_Root$Results$Caps.node.set(results, n)
    n.release()
  }

  echoCounter (params: any, results: any): void {
    Test_EchoCounter$Results$Caps.counter.set(results, Test_EchoCounter$Params$Caps.counter.get(params))
  }

  laterCounter (params: any, results: any): void {
    const start = params.start as bigint
    const live = this.live
    const p = delayedCap(params.delayMs, () => {
      if (start < 0n) throw new Error('negative start')
      return CounterClient.serve(new CounterImpl(start, live))
    }, CounterClient)
    Test_LaterCounter$Results$Caps.counter.set(results, p)
    p.release()
  }

  laterEcho (params: any, results: any): void {
    const target = Test_LaterEcho$Params$Caps.counter.get(params).dup()
    const p = delayedCap(params.delayMs, () => target, CounterClient)
    Test_LaterEcho$Results$Caps.counter.set(results, p)
    p.release()
  }

  addVia (params: any, _results: any, ctx: CallContext): void {
    const counter = Test_AddVia$Params$Caps.counter.get(params)
    const by = params.by as bigint
    ctx.tailCall(counter.add((p) => { p.by = by }))
  }

  liveObjects (_: any, results: any): void { results.count = BigInt(this.live.count) }

  fail (params: any): void { throw errorOfKind(params.kind, params.reason) }

  async relayFailure (params: any, results: any): Promise<void> {
    const thrower = Test_RelayFailure$Params$Caps.thrower.get(params)
    const kind = params.kind as ErrorKind
    const reason = params.reason as string
    using answer = thrower.raise((p) => { p.kind = kind; p.reason = reason })
    try {
      await answer
    } catch (err) {
      results.kind = kindOfError(err)
      results.reason = reasonOfError(err)
      return
    }
    throw new WwError('thrower.raise() returned instead of throwing')
  }

  // missing() is deliberately absent: the runtime answers "unimplemented".

  async hang (_: any, __: any, ctx: CallContext): Promise<void> {
    hangCounts.started++
    await sleep(60_000, ctx.signal)
    if (ctx.signal.aborted) hangCounts.canceled++
  }

  hangStats (_: any, results: any): void {
    results.started = hangCounts.started
    results.canceled = hangCounts.canceled
  }

  sink (params: any, results: any): void {
    this.lastSink = new SinkProgress()
    const s = SinkClient.serve(new SinkImpl(params.delayMs, this.lastSink, this.live))
    Test_Sink$Results$Caps.sink.set(results, s)
    s.release()
  }

  sinkProgress (_: any, results: any): void {
    results.chunks = this.lastSink?.chunks ?? 0
    results.bytes = this.lastSink?.bytes ?? 0n
  }

  hold (params: any): void {
    this.held.push(Test_Hold$Params$Caps.counter.get(params).dup())
  }

  dropHeld (_: any, results: any): void {
    results.dropped = this.held.length
    for (const c of this.held.splice(0)) c.release()
  }

  bulk (params: any, results: any): void {
    const data: Uint8Array = params.data.toUint8Array()
    const out: Uint8Array = results._initReversed(data.length).toUint8Array()
    let sum = 0
    for (let i = 0; i < data.length; i++) {
      out[data.length - 1 - i] = data[i]
      sum += data[i]
    }
    results.sum = BigInt(sum)
  }

  [Symbol.dispose] (): void {
    for (const c of this.callbacks.splice(0)) c.release()
    for (const c of this.held.splice(0)) c.release()
  }
}

/** A new Test capability (owned) backed by TestImpl. */
export function serveTest (live: Live): TestClient {
  return TestClient.serve(new TestImpl(live) as unknown as TestServer)
}
