// Calls made with onlyPipeline against a peer that ignores Call.onlyPromisePipeline (the C++
// reference: Debian's libcapnp predates the field) and one that honours it (our server). The
// pipelined chain answers the same either way; a late Return for a call already released is
// taken quietly, its capabilities released, and the connection goes on.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connection } from '../../../src/rpc/index.js'
import { connectTo } from './address.js'
import { buildCppPeers, startCppServer, type RunningServer } from './cpp-peers.js'
import { TestClient } from './gen/interop.rpc.js'
import { Live } from './ts-peer.js'
import { startTsTestServer, type TsTestServer } from './ts-server.js'
import { tap } from './wire-tap.js'

async function connect (address: string): Promise<{ test: TestClient, conn: Connection, events: string[], close: () => Promise<void> }> {
  const wire = tap(await connectTo(address))
  const conn = new Connection(wire.transport, { name: 'only-pipeline-client' })
  const test = conn.bootstrap(TestClient)
  return { test, conn, events: wire.events, close: async () => { test.release(); conn.close(); await conn.closed } }
}

const liveObjects = async (test: TestClient): Promise<bigint> => {
  using n = test.liveObjects()
  return (await n).count
}

describe('rpc interop: calls made with onlyPipeline', function () {
  this.timeout(180_000)
  let cpp: RunningServer
  let ts: TsTestServer
  let dir: string

  before(async () => {
    const peers = await buildCppPeers()
    dir = mkdtempSync(join(tmpdir(), 'ww-interop-'))
    cpp = await startCppServer(peers.server, `unix:${join(dir, 'cpp.sock')}`)
    ts = await startTsTestServer(join(dir, 'ts.sock'), new Live())
  })

  after(async () => {
    await cpp?.stop()
    await ts?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  const peers = [
    { name: 'C++ server (ignores the hint)', address: () => cpp.address, returns: 3, late: 20 },
    { name: 'TypeScript server (honours it)', address: () => ts.address, returns: 1, late: 0 }
  ]

  for (const peer of peers) {
    it(`${peer.name}: root("a").child("b").path() answers "a/b", with ${peer.returns} Return(s)`, async () => {
      const { test, conn, events, close } = await connect(peer.address())
      try {
        const base = await liveObjects(test)
        const returnsBefore = events.filter((e) => e === 'in return:results').length
        {
          using a = test.root((p) => { p.name = 'a' }, { onlyPipeline: true })
          using b = a.pipeline.node.child((p) => { p.name = 'b' }, { onlyPipeline: true })
          using path = b.pipeline.node.path()
          assert.equal((await path).path, 'a/b')
        }
        assert.equal(events.filter((e) => e === 'in return:results').length - returnsBefore, peer.returns)
        assert.equal(await liveObjects(test), base, 'the nodes went with their answers')
        assert.equal(conn.stats.questions, 0)
      } finally { await close() }
    })

    it(`${peer.name}: an answer released before its Return leaves no import behind and the connection up`, async () => {
      const { test, conn, events, close } = await connect(peer.address())
      try {
        const base = await liveObjects(test)
        const imports = conn.stats.imports
        const returns = (): number => events.filter((e) => e.startsWith('in return:')).length
        const returnsBefore = returns()
        for (let i = 0; i < 20; i++) test.root((p) => { p.name = `early${i}` }, { onlyPipeline: true }).release()
        await liveObjects(test) // every Return of those calls, if any, came before this one's
        assert.equal(await liveObjects(test), base)
        assert.equal(returns() - returnsBefore - 2, peer.late, 'Returns for the calls released early')
        assert.equal(conn.stats.imports, imports)
        assert.equal(conn.stats.questions, 0)
        assert.ok(!events.some((e) => e.includes('abort')), events.join(' '))
      } finally { await close() }
    })
  }
})
