// C++ reference client -> TypeScript server: every scenario of cpp/client.c++, one process each.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildCppPeers, runCppClient, type CppPeers } from './cpp-peers.js'
import { scenarioNames } from './scenarios.js'
import { Live } from './ts-peer.js'
import { startTsTestServer, type TsTestServer } from './ts-server.js'
import { checkWire, tsServerOfCpp } from './wire-expectations.js'
import { eventually } from '../../waiting.js'

describe('rpc interop: C++ client -> TypeScript server', function () {
  this.timeout(180_000)
  let peers: CppPeers
  let server: TsTestServer
  let dir: string
  let address: string
  const live = new Live()

  before(async () => {
    peers = await buildCppPeers()
    dir = mkdtempSync(join(tmpdir(), 'ww-interop-'))
    server = await startTsTestServer(join(dir, 'ts.sock'), live)
    address = server.address
  })

  after(async () => {
    await server?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  for (const name of scenarioNames) {
    it(name, async () => {
      const r = await runCppClient(peers.client, address, [name])
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`)
      assert.match(r.stdout, new RegExp(`^ok ${name}$`, 'm'))
      const events = server.wire[server.wire.length - 1]
      checkWire(events, tsServerOfCpp[name])
    })
  }

  it('four C++ clients at once, each on its own connection', async () => {
    // Scenarios whose checks do not depend on the server-wide live-object count.
    const mix = ['echo-own', 'callback', 'calls-10k', 'tail-call', 'pipeline', 'exceptions', 'bulk']
    const runs = await Promise.all([0, 1, 2, 3].map(async (i) => await runCppClient(peers.client, address, [...mix.slice(i), ...mix.slice(0, i)])))
    for (const r of runs) assert.equal(r.code, 0, `${r.stdout}${r.stderr}`)
  })

  describe('over TCP', () => {
    let tcp: TsTestServer
    before(async () => { tcp = await startTsTestServer({ port: 0 }, live) })
    after(async () => { await tcp?.close() })
    // Not 'stream': the C++ client sizes its window from the socket's send buffer, several MiB on
    // loopback TCP, more than the scenario sends, so the scenario's flow-control check cannot hold.
    for (const name of ['pipeline', 'echo-own', 'calls-10k', 'bulk'] as const) {
      it(name, async () => {
        const r = await runCppClient(peers.client, tcp.address, [name])
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}`)
        checkWire(tcp.wire[tcp.wire.length - 1], tsServerOfCpp[name])
      })
    }
  })

  it('every connection is gone and every TS-hosted object released once the C++ clients exit', async () => {
    await eventually('the connections to close and the objects to be released', () => server.connections.size === 0 && live.count === 0).catch(() => {})
    assert.equal(server.connections.size, 0)
    assert.equal(live.count, 0)
  })
})
