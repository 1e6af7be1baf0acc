// The TypeScript client's scenarios: the same checks as cpp/client.c++, through the generated
// stubs. Each takes a bootstrapped Test and a Live counting the objects this side hosts.
import assert from 'node:assert/strict'
import { Canceled } from '../../../src/errors.js'
import { ErrorKind as Kind } from './gen/interop.js'
import type { ErrorKind } from './gen/interop.js'
import {
  CounterClient, CallbackClient, ThrowerClient, type TestClient, Holder$Caps,
  Test_AddVia$Params$Caps, Test_CallCounter$Params$Caps, Test_EchoCounter$Params$Caps, Test_Hold$Params$Caps,
  Test_LaterEcho$Params$Caps, Test_Register$Params$Caps, Test_RelayFailure$Params$Caps
} from './gen/interop.rpc.js'
import { capListGet, capListSet } from './cap-list.js'
import { fillSample, sampleA, sampleB, sampleMismatches } from './samples.js'
import type { ScenarioName } from './scenarios.js'
import { CallbackImpl, CounterImpl, type Live, ThrowerImpl, kindName, kindOfError, reasonOfError, sleep } from './ts-peer.js'

export interface Env {
  test: TestClient
  /** Objects hosted by this (client) side. */
  live: Live
}

/** Polls `pred` until it holds or 10 s pass (releases travel asynchronously). */
async function eventually (pred: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await pred()) return
    await sleep(10)
  }
  assert.ok(await pred(), what)
}

async function remoteLive (env: Env): Promise<bigint> {
  using a = env.test.liveObjects()
  return (await a).count
}

async function addAll (c: CounterClient, by: bigint[]): Promise<void> {
  const answers = by.map((b) => c.add((p) => { p.by = b }))
  try { await Promise.all(answers) } finally { for (const a of answers) a.release() }
}

const history = async (c: CounterImpl): Promise<bigint[]> => c.adds

async function bootstrap (env: Env): Promise<void> {
  assert.ok(await remoteLive(env) >= 0n)
}

async function primitives (env: Env): Promise<void> {
  using a = env.test.exchange((p) => { fillSample(p._initP(), sampleA) })
  const r = await a
  assert.equal(r.mismatches, '', 'fields the server saw differ')
  assert.equal(sampleMismatches(r.p, sampleB), '', 'fields the client saw differ')
}

async function capInParams (env: Env): Promise<void> {
  const local = new CounterImpl(10n, env.live)
  using c = CounterClient.serve(local)
  using a = env.test.callCounter((p) => { Test_CallCounter$Params$Caps.counter.set(p, c); p.by = 5n })
  assert.equal((await a).value, 15n)
  assert.equal(local.value, 15n)
}

async function capInResults (env: Env): Promise<void> {
  using a = env.test.newCounter((p) => { p.start = 100n })
  const counter = a.pipeline.counter
  using add = counter.add((p) => { p.by = 1n })
  assert.equal((await add).value, 101n)
  using get = counter.get()
  assert.equal((await get).value, 101n)
}

async function capInStructFields (env: Env): Promise<void> {
  using a = env.test.makeHolder((p) => { p.name = 'h'; p.start = 10n; p.extra = 3 })
  const h = (await a).holder
  assert.equal(h.name, 'h')
  assert.equal(h.counters.length, 3)
  {
    using g = Holder$Caps.counter.get(h).get()
    assert.equal((await g).value, 10n)
  }
  for (let i = 0; i < 3; i++) {
    using g = capListGet(h.counters, i, CounterClient).get()
    assert.equal((await g).value, BigInt(11 + i), `holder.counters[${i}]`)
  }
  // Send a holder back: caller-hosted counters and one the server hosts (receiverHosted).
  using c1 = CounterClient.serve(new CounterImpl(1n, env.live))
  using c2 = CounterClient.serve(new CounterImpl(2n, env.live))
  using c3 = CounterClient.serve(new CounterImpl(3n, env.live))
  const theirs = capListGet(h.counters, 2, CounterClient)
  using sum = env.test.sumHolder((p) => {
    const out = p._initHolder()
    out.name = 'mine'
    Holder$Caps.counter.set(out, c1)
    const list = out._initCounters(3)
    capListSet(list, 0, c2)
    capListSet(list, 1, c3)
    capListSet(list, 2, theirs)
  })
  assert.equal((await sum).sum, 1n + 2n + 3n + 13n)
}

async function callback (env: Env): Promise<void> {
  const base = env.live.count
  const cb1 = new CallbackImpl(env.live)
  const cb2 = new CallbackImpl(env.live)
  for (const [i, impl] of [cb1, cb2].entries()) {
    using c = CallbackClient.serve(impl)
    using r = env.test.register((p) => { Test_Register$Params$Caps.cb.set(p, c) })
    assert.equal((await r).registered, i + 1)
  }
  // The callbacks are now referenced only by the server.
  for (const v of [5n, 7n]) {
    using f = env.test.fire((p) => { p.value = v })
    const r = await f
    assert.equal(r.count, 2)
    assert.equal(r.sum, 4n * v)
  }
  assert.deepEqual(cb1.seen, [5n, 7n])
  assert.deepEqual(cb2.seen, [5n, 7n])
  assert.equal(env.live.count, base + 2)
  using u = env.test.unregisterAll()
  assert.equal((await u).dropped, 2)
  await eventually(() => env.live.count === base, 'callbacks still alive after the server dropped them')
}

async function pipeline (env: Env): Promise<void> {
  using a = env.test.root((p) => { p.name = 'a' })
  using b = a.pipeline.node.child((p) => { p.name = 'b' })
  using c = b.pipeline.node.child((p) => { p.name = 'c' })
  using path = c.pipeline.node.path()
  assert.equal((await path).path, 'a/b/c')
}

async function tailCall (env: Env): Promise<void> {
  const local = new CounterImpl(0n, env.live)
  using c = CounterClient.serve(local)
  using a = env.test.addVia((p) => { Test_AddVia$Params$Caps.counter.set(p, c); p.by = 7n })
  assert.equal((await a).value, 7n)
  assert.equal(local.value, 7n)
  using nc = env.test.newCounter((p) => { p.start = 40n })
  using a2 = env.test.addVia((p) => { Test_AddVia$Params$Caps.counter.set(p, nc.pipeline.counter); p.by = 2n })
  assert.equal((await a2).value, 42n)
}

async function echoOwn (env: Env): Promise<void> {
  const local = new CounterImpl(0n, env.live)
  using c = CounterClient.serve(local)
  using answer = env.test.echoCounter((p) => { Test_EchoCounter$Params$Caps.counter.set(p, c) })
  // E-order per reference: calls through the pipelined capability arrive in the order made, whether
  // sent before the answer (reflected by the server) or after it (local, behind an embargo).
  const piped = answer.pipeline.counter
  const before = addAll(piped, [1n, 2n])
  await answer
  const after = addAll(piped, [3n, 4n])
  await Promise.all([before, after])
  await addAll(piped, [5n])
  assert.deepEqual(await history(local), [1n, 2n, 3n, 4n, 5n])
}

async function promiseResolve (env: Env): Promise<void> {
  const base = await remoteLive(env)
  {
    // Pipelined on the answer, then on the promise capability before and after it resolves:
    // the values show the calls ran in the order made.
    using a = env.test.laterCounter((p) => { p.start = 5n; p.delayMs = 200 })
    const c = a.pipeline.counter
    const answers = [c.add((p) => { p.by = 1n }), c.add((p) => { p.by = 1n })]
    await a
    answers.push(c.add((p) => { p.by = 1n }))
    await sleep(300)
    answers.push(c.add((p) => { p.by = 1n }))
    try {
      const values = (await Promise.all(answers)).map((r) => r.value)
      assert.deepEqual(values, [6n, 7n, 8n, 9n])
    } finally {
      for (const x of answers) x.release()
    }
    assert.equal(await remoteLive(env), base + 1n)
  }
  await eventually(async () => await remoteLive(env) === base, 'resolved promise capability not released')
}

async function promiseBroken (env: Env): Promise<void> {
  // A promise that resolves to an exception: calls before and after fail with its reason (and,
  // since the resolution is not a capability, no Disembargo may be sent for it).
  using b = env.test.laterCounter((p) => { p.start = -1n; p.delayMs = 200 })
  await b
  const broken = b.pipeline.counter
  const early = broken.get()
  await sleep(300)
  const late = broken.get()
  for (const call of [early, late]) {
    const err = await call.then(() => undefined, (e: unknown) => e)
    call.release()
    assert.ok(reasonOfError(err).endsWith('negative start'), `broken promise gave ${String(err)}`)
  }
}

async function sharedRefs (env: Env): Promise<void> {
  // One capability sent several times each way: every copy counts, and the last release frees it.
  const base = env.live.count
  {
    using cb = CallbackClient.serve(new CallbackImpl(env.live))
    for (let i = 0; i < 3; i++) {
      using r = env.test.register((p) => { Test_Register$Params$Caps.cb.set(p, cb) })
      await r
    }
    using f = env.test.fire((p) => { p.value = 1n })
    const fr = await f
    assert.equal(fr.count, 3)
    assert.equal(fr.sum, 6n)
  }
  assert.equal(env.live.count, base + 1, 'the server holds the callback')
  using u = env.test.unregisterAll()
  await u
  await eventually(() => env.live.count === base, 'callback sent 3 times not released')
  const rbase = await remoteLive(env)
  {
    using nc = env.test.newCounter((p) => { p.start = 0n })
    await nc
    const c = nc.pipeline.counter
    const copies: CounterClient[] = []
    for (let i = 0; i < 3; i++) {
      using e = env.test.echoCounter((p) => { Test_EchoCounter$Params$Caps.counter.set(p, c) })
      await e
      copies.push(e.pipeline.counter.dup())
    }
    for (const copy of copies) await addAll(copy, [1n])
    using g = c.get()
    assert.equal((await g).value, 3n)
    assert.equal(await remoteLive(env), rbase + 1n)
    for (const copy of copies) copy.release()
  }
  await eventually(async () => await remoteLive(env) === rbase, 'counter echoed 3 times not released')
}

async function laterEcho (env: Env): Promise<void> {
  const base = env.live.count
  {
    const local = new CounterImpl(0n, env.live)
    using c = CounterClient.serve(local)
    using a = env.test.laterEcho((p) => { Test_LaterEcho$Params$Caps.counter.set(p, c); p.delayMs = 200 })
    await a
    const p = a.pipeline.counter
    const first = addAll(p, [1n, 2n])
    await sleep(300)
    await Promise.all([first, addAll(p, [3n, 4n])])
    assert.deepEqual(await history(local), [1n, 2n, 3n, 4n])
  }
  await eventually(() => env.live.count === base, 'local counter still referenced by the server')
}

async function release (env: Env): Promise<void> {
  const base = await remoteLive(env)
  {
    using a = env.test.newCounter((p) => { p.start = 1n })
    await a
    assert.equal(await remoteLive(env), base + 1n)
  }
  await eventually(async () => await remoteLive(env) === base, 'awaited counter not released')
  {
    // Pipelined: a capability used before its answer arrived, then dropped.
    using a = env.test.newCounter((p) => { p.start = 1n })
    await addAll(a.pipeline.counter, [1n])
  }
  await eventually(async () => await remoteLive(env) === base, 'pipelined counter not released')
  {
    using a = env.test.makeHolder((p) => { p.name = 'x'; p.extra = 4 })
    await a
    assert.equal(await remoteLive(env), base + 5n)
  }
  await eventually(async () => await remoteLive(env) === base, 'holder counters not released')
  {
    using a = env.test.root((p) => { p.name = 'a' })
    using b = a.pipeline.node.child((p) => { p.name = 'b' })
    using path = b.pipeline.node.path()
    await path
  }
  await eventually(async () => await remoteLive(env) === base, 'pipelined nodes not released')
}

async function releaseReverse (env: Env): Promise<void> {
  const base = env.live.count
  {
    using c = CounterClient.serve(new CounterImpl(3n, env.live))
    using h = env.test.hold((p) => { Test_Hold$Params$Caps.counter.set(p, c) })
    await h
  }
  await sleep(50)
  assert.equal(env.live.count, base + 1, 'the server holds the counter')
  using d = env.test.dropHeld()
  assert.equal((await d).dropped, 1)
  await eventually(() => env.live.count === base, 'counter still alive after dropHeld')
  {
    using c = CounterClient.serve(new CounterImpl(0n, env.live))
    using a = env.test.callCounter((p) => { Test_CallCounter$Params$Caps.counter.set(p, c); p.by = 1n })
    await a
  }
  await eventually(() => env.live.count === base, 'param capability not released')
}

async function exceptions (env: Env): Promise<void> {
  for (const kind of [Kind.FAILED, Kind.OVERLOADED, Kind.DISCONNECTED, Kind.UNIMPLEMENTED] as ErrorKind[]) {
    const reason = `reason for ${kindName(kind)} ✗`
    {
      using a = env.test.fail((p) => { p.kind = kind; p.reason = reason })
      const err = await a.then(() => undefined, (e: unknown) => e)
      assert.ok(err instanceof Error, `fail(${kindName(kind)}) did not throw`)
      assert.equal(kindName(kindOfError(err)), kindName(kind), `fail(${kindName(kind)}) type`)
      assert.ok(reasonOfError(err).endsWith(reason), `fail reason '${reasonOfError(err)}'`)
    }
    {
      using t = ThrowerClient.serve(new ThrowerImpl())
      using a = env.test.relayFailure((p) => { Test_RelayFailure$Params$Caps.thrower.set(p, t); p.kind = kind; p.reason = reason })
      const r = await a
      assert.equal(kindName(r.kind), kindName(kind), 'kind the server caught')
      assert.ok(r.reason.endsWith(reason), `reason the server caught: '${r.reason}'`)
    }
  }
  using m = env.test.missing()
  const err = await m.then(() => undefined, (e: unknown) => e)
  assert.equal(kindOfError(err), Kind.UNIMPLEMENTED, `missing() gave ${String(err)}`)
}

async function hangStats (env: Env): Promise<{ started: number, canceled: number }> {
  using a = env.test.hangStats()
  const r = await a
  return { started: r.started, canceled: r.canceled }
}

async function cancel (env: Env): Promise<void> {
  const before = await hangStats(env)
  const controller = new AbortController()
  const call = env.test.hang(undefined, { signal: controller.signal })
  const settled = call.then(() => 'returned', (e: unknown) => e)
  await eventually(async () => (await hangStats(env)).started > before.started, 'hang() never started')
  controller.abort()
  const outcome = await settled
  assert.ok(outcome instanceof Canceled, `the canceled call settled with ${String(outcome)}`)
  call.release()
  await eventually(async () => (await hangStats(env)).canceled > before.canceled, 'server never observed the cancellation')
}

async function calls10k (env: Env): Promise<void> {
  using a = env.test.newCounter((p) => { p.start = 0n })
  const c = a.pipeline.counter
  const n = 10_000
  const answers = Array.from({ length: n }, () => c.add((p) => { p.by = 1n }))
  try {
    const values = await Promise.all(answers)
    values.forEach((v, i) => { if (v.value !== BigInt(i + 1)) assert.fail(`call ${i} returned ${v.value}`) })
  } finally {
    for (const x of answers) x.release()
  }
  using g = c.get()
  assert.equal((await g).value, BigInt(n))
}

async function stream (env: Env): Promise<void> {
  const chunks = 32
  const chunkSize = 64 * 1024
  using s = env.test.sink((p) => { p.delayMs = 15 })
  await s  // flow control applies to a resolved capability
  const cap = s.pipeline.sink
  const bytes = Uint8Array.from({ length: chunkSize }, (_, i) => i & 0xff)
  for (let i = 0; i < chunks; i++) {
    await cap.write((p) => { p._initChunk(chunkSize).copyBuffer(bytes) })  // resolves when the window has room
  }
  using pr = env.test.sinkProgress()
  const consumed = (await pr).chunks
  assert.ok(consumed >= chunks / 2, `producer finished with only ${consumed}/${chunks} consumed (not slowed by the consumer)`)
  assert.ok(consumed < chunks, 'producer waited for every chunk (no window)')
  // Like the C++ client: done() right after the last write. The server runs a streaming call's
  // target one call at a time (C++ blocks the object until the call finishes), so done() sees every chunk.
  using d = cap.done()
  const r = await d
  await cap.streamDone()
  assert.equal(r.chunks, chunks)
  assert.equal(r.bytes, BigInt(chunks * chunkSize))
}

async function bulk (env: Env): Promise<void> {
  for (const size of [1 << 20, 3 << 20]) {
    const data = Uint8Array.from({ length: size }, (_, i) => (i * 7 + Math.floor(i / 251)) & 0xff)
    const sum = data.reduce((s, b) => s + b, 0)
    using a = env.test.bulk((p) => { p._initData(size).copyBuffer(data) })
    const r = await a
    assert.equal(r.sum, BigInt(sum))
    const rev = r.reversed.toUint8Array()
    assert.equal(rev.length, size)
    assert.ok(Buffer.from(rev).reverse().equals(Buffer.from(data)), 'reversed bytes differ')
  }
}

async function manyCaps (env: Env): Promise<void> {
  // Hundreds of capabilities in one message each way; all released afterwards.
  const n = 500
  const rbase = await remoteLive(env)
  const base = env.live.count
  {
    using a = env.test.makeHolder((p) => { p.name = 'many'; p.start = 0n; p.extra = n })
    const list = (await a).holder.counters
    assert.equal(list.length, n)
    assert.equal(await remoteLive(env), rbase + BigInt(n + 1))
    const theirs = capListGet(list, n - 1, CounterClient)
    const mine = Array.from({ length: n }, (_, i) => CounterClient.serve(new CounterImpl(BigInt(i), env.live)))
    try {
      using s = env.test.sumHolder((p) => {
        const h = p._initHolder()
        Holder$Caps.counter.set(h, theirs)
        const l = h._initCounters(n)
        mine.forEach((c, i) => { capListSet(l, i, c) })
      })
      assert.equal((await s).sum, BigInt(n + n * (n - 1) / 2))
    } finally {
      for (const c of mine) c.release()
    }
  }
  await eventually(async () => await remoteLive(env) === rbase, 'server counters not released')
  await eventually(() => env.live.count === base, 'client counters not released')
}

export const scenarios: Record<ScenarioName, (env: Env) => Promise<void>> = {
  bootstrap,
  primitives,
  'cap-in-params': capInParams,
  'cap-in-results': capInResults,
  'cap-in-struct-fields': capInStructFields,
  callback,
  pipeline,
  'tail-call': tailCall,
  'echo-own': echoOwn,
  'promise-resolve': promiseResolve,
  'promise-broken': promiseBroken,
  'later-echo': laterEcho,
  release,
  'release-reverse': releaseReverse,
  exceptions,
  cancel,
  'calls-10k': calls10k,
  stream,
  bulk,
  'shared-refs': sharedRefs,
  'many-caps': manyCaps
}
