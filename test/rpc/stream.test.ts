// `-> stream` calls: the server runs one at a time per capability, in order, and a later ordinary
// call on the same capability waits for them; the client is held back by a window of bytes.
import assert from 'node:assert/strict'
import { Connection } from '../../src/rpc/index.js'
import { memoryPair } from '../../src/transport/index.js'
import { InvalidArgument } from '../../src/errors.js'
import { SinkClient, type SinkServer } from './gen/rpctest.rpc.js'

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** A slow consumer that records what it saw and how many writes ran at once. */
class SlowSink implements SinkServer {
  seen: number[] = []
  bytes = 0n
  running = 0
  maxRunning = 0
  disposed = false
  constructor (private readonly delayMs: number, private readonly failAt = -1) {}

  async write (params: { seq: number, chunk: { length: number } }): Promise<void> {
    this.running++
    this.maxRunning = Math.max(this.maxRunning, this.running)
    const seq = params.seq
    const size = params.chunk.length
    await sleep(this.delayMs)
    this.running--
    if (seq === this.failAt) throw new InvalidArgument(`write ${seq} refused`)
    this.seen.push(seq)
    this.bytes += BigInt(size)
  }

  count (_: unknown, results: { writes: number, bytes: bigint }): void {
    results.writes = this.seen.length
    results.bytes = this.bytes
  }

  [Symbol.dispose] (): void { this.disposed = true }
}

const chunk = (seq: number, size: number) => (p: any) => { p.seq = seq; p._initChunk(size) }

function connect (sink: SinkClient, streamWindowBytes?: number): { client: Connection, server: Connection } {
  const [a, b] = memoryPair()
  const server = new Connection(b, { bootstrap: sink, name: 'server' })
  const client = new Connection(a, { name: 'client', limits: streamWindowBytes === undefined ? {} : { streamWindowBytes } })
  return { client, server }
}

describe('rpc: streaming calls', function () {
  this.timeout(60_000)

  it('runs stream calls on a local capability one at a time, in order', async () => {
    const impl = new SlowSink(2)
    const sink = SinkClient.serve(impl)
    // a window far larger than what is written: every call is issued at once
    const writes: Array<Promise<void>> = []
    for (let i = 0; i < 20; i++) writes.push(sink.write(chunk(i, 100), 1 << 20))
    await Promise.all(writes)
    const r = await sink.count()
    assert.equal(r.writes, 20, 'count() waited for every queued write')
    await sink.streamDone()
    assert.equal(impl.maxRunning, 1)
    assert.deepEqual(impl.seen, Array.from({ length: 20 }, (_, i) => i))
    sink.release()
    assert.equal(impl.disposed, true)
  })

  it('serializes stream calls from a peer; an ordinary call right after the last write sees every write', async () => {
    const impl = new SlowSink(3)
    const local = SinkClient.serve(impl)
    const { client, server } = connect(local)
    local.release()
    const sink = client.bootstrap(SinkClient)
    const n = 40
    const size = 16 << 10
    for (let i = 0; i < n; i++) await sink.write(chunk(i, size), 64 << 10)
    // the window (64 KiB, ~4 writes) let the producer run ahead, but not by everything
    assert.ok(impl.seen.length < n, `producer waited for every write (${impl.seen.length}/${n} done)`)
    assert.ok(impl.seen.length >= n - 8, `producer ran ahead of the window (${impl.seen.length}/${n} done)`)
    using c = sink.count()
    const r = await c
    assert.equal(r.writes, n)
    assert.equal(r.bytes, BigInt(n * size))
    await sink.streamDone()
    assert.equal(impl.maxRunning, 1)
    assert.deepEqual(impl.seen, Array.from({ length: n }, (_, i) => i))
    sink.release()
    client.close()
    await server.closed
  })

  it("without a window argument, uses the connection's limits.streamWindowBytes", async () => {
    const impl = new SlowSink(3)
    const local = SinkClient.serve(impl)
    const { client, server } = connect(local, 20 << 10)
    local.release()
    const sink = client.bootstrap(SinkClient)
    const n = 20
    for (let i = 0; i < n; i++) await sink.write(chunk(i, 8 << 10))
    // 20 KiB window, ~8 KiB writes: at most 2 in flight when the last write returns
    assert.ok(impl.seen.length >= n - 2, `the producer ran ahead by more than the window (${impl.seen.length}/${n} done)`)
    assert.ok(impl.seen.length < n, 'producer waited for every write')
    await sink.streamDone()
    sink.release()
    client.close()
    await server.closed
  })

  it('every reference to a capability (each dup()) shares its one window', async () => {
    const impl = new SlowSink(3)
    const local = SinkClient.serve(impl)
    const { client, server } = connect(local)
    local.release()
    const a = client.bootstrap(SinkClient)
    const b = a.dup()
    const n = 20
    const size = 16 << 10
    // a 32 KiB window and writes a little over 16 KiB: after a write resolves, at most one is in
    // flight on the capability; a window per reference would let each reference have one more
    for (let i = 0; i < n; i++) {
      await (i % 2 === 0 ? a : b).write(chunk(i, size), 32 << 10)
      assert.ok(i + 1 - impl.seen.length <= 1, `${i + 1 - impl.seen.length} writes in flight after write ${i} resolved`)
    }
    await b.streamDone() // waits for a's writes too
    assert.equal(impl.seen.length, n)
    a.release()
    b.release()
    client.close()
    await server.closed
  })

  it('a failed stream call rejects the next one and streamDone(); later calls still run', async () => {
    const impl = new SlowSink(1, 2)
    const local = SinkClient.serve(impl)
    const { client, server } = connect(local)
    local.release()
    const sink = client.bootstrap(SinkClient)
    await sink.write(chunk(0, 10), 1 << 20)
    await sink.write(chunk(1, 10), 1 << 20)
    await sink.write(chunk(2, 10), 1 << 20)
    await assert.rejects(sink.streamDone(), (err: Error) => err instanceof InvalidArgument && /write 2 refused/.test(err.message))
    await assert.rejects(sink.write(chunk(3, 10)), InvalidArgument)
    assert.deepEqual(impl.seen, [0, 1])
    using c = sink.count()
    assert.equal((await c).writes, 2)
    sink.release()
    client.close()
    await server.closed
  })

  it('ordinary async calls on the same capability still run concurrently', async () => {
    let running = 0
    let maxRunning = 0
    const sink = SinkClient.serve({
      write () {},
      async count (_p, results) {
        running++
        maxRunning = Math.max(maxRunning, running)
        await sleep(5)
        running--
        results.writes = maxRunning
      }
    })
    const answers = [sink.count(), sink.count(), sink.count()]
    await Promise.all(answers)
    assert.equal(maxRunning, 3)
    sink.release()
  })
})
