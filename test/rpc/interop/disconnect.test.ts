// Disconnect against the C++ reference, both ways: the peer process dies without a goodbye.
// Pending calls reject with Disconnected, imports break, exports are released, calls are canceled.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Disconnected } from '../../../src/errors.js'
import { Connection } from '../../../src/rpc/index.js'
import { connectUnix } from '../../../src/transport/index.js'
import { buildCppPeers, runCppClient, startCppServer, type CppPeers } from './cpp-peers.js'
import { CallbackClient, TestClient, Test_Register$Params$Caps } from './gen/interop.rpc.js'
import { CallbackImpl, Live, sleep } from './ts-peer.js'
import { startTsTestServer } from './ts-server.js'

async function eventually (pred: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !(await pred()); i++) await sleep(10)
  assert.ok(await pred(), what)
}

describe('rpc interop: disconnect', function () {
  this.timeout(180_000)
  let peers: CppPeers
  let dir: string

  before(async () => {
    peers = await buildCppPeers()
    dir = mkdtempSync(join(tmpdir(), 'ww-interop-'))
  })

  after(() => { if (dir !== undefined) rmSync(dir, { recursive: true, force: true }) })

  it('TypeScript client: the C++ server is killed mid-call', async () => {
    const server = await startCppServer(peers.server, `unix:${join(dir, 'killed.sock')}`)
    const live = new Live()
    const conn = new Connection(await connectUnix(join(dir, 'killed.sock')))
    const test = conn.bootstrap(TestClient)
    try {
      const cb = CallbackClient.serve(new CallbackImpl(live))
      const reg = test.register((p) => { Test_Register$Params$Caps.cb.set(p, cb) })
      await reg
      reg.release()
      cb.release()
      assert.equal(live.count, 1, 'the server holds our callback')
      const made = test.newCounter((p) => { p.start = 1n })
      await made
      const counter = made.pipeline.counter.dup()
      made.release()
      const pending = test.hang()
      const outcome = pending.then(() => 'returned', (e: unknown) => e)
      await sleep(50)

      server.process.kill('SIGKILL')
      await server.stop()

      const err = await outcome
      assert.ok(err instanceof Disconnected, `pending call settled with ${String(err)}`)
      pending.release()
      const later = counter.add((p) => { p.by = 1n })
      const err2 = await later.then(() => 'returned', (e: unknown) => e)
      assert.ok(err2 instanceof Disconnected, `call on a broken import settled with ${String(err2)}`)
      later.release()
      counter.release()
      await conn.closed
      assert.ok(conn.error !== undefined, 'the connection knows why it closed')
      await eventually(() => live.count === 0, 'our exported callback was not released')
    } finally {
      test.release()
      conn.close()
    }
  })

  it('TypeScript server: the C++ client dies holding a callback, an import and a pending call', async () => {
    const live = new Live()
    const path = join(dir, 'abandoned.sock')
    const server = await startTsTestServer(path, live)
    const hangStats = async (): Promise<{ started: number, canceled: number }> => {
      const conn = new Connection(await connectUnix(path))
      const test = conn.bootstrap(TestClient)
      try {
        using s = test.hangStats()
        const st = await s
        return { started: st.started, canceled: st.canceled }
      } finally {
        test.release()
        conn.close()
      }
    }
    try {
      const before = await hangStats()
      const r = await runCppClient(peers.client, `unix:${path}`, ['abandon'])
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`)
      assert.match(r.stdout, /abandoning/)
      // The C++ client's connection goes away: its counter export is released, its hang() canceled.
      await eventually(() => server.connections.size === 0, 'the server kept the dead connection')
      await eventually(() => live.count === 0, 'objects exported to the dead client were not released')
      await eventually(async () => {
        const st = await hangStats()
        return st.started === before.started + 1 && st.canceled === before.canceled + 1
      }, 'the dead client\'s hang() was not canceled')
    } finally {
      await server.close()
    }
  })
})
