// TypeScript client -> C++ reference server, and TypeScript client -> TypeScript server (over a
// unix socket): every scenario, each on a fresh connection.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connection } from '../../../src/rpc/index.js'
import { connectTo } from './address.js'
import { buildCppPeers, startCppServer, type RunningServer } from './cpp-peers.js'
import { TestClient } from './gen/interop.rpc.js'
import { scenarioNames } from './scenarios.js'
import { Live } from './ts-peer.js'
import { scenarios } from './ts-scenarios.js'
import { startTsTestServer, type TsTestServer } from './ts-server.js'
import { tap } from './wire-tap.js'
import { checkPipelined, checkWire, tsClientOfCpp, tsClientOfTs } from './wire-expectations.js'

async function runScenario (address: string, name: keyof typeof scenarios): Promise<string[]> {
  const wire = tap(await connectTo(address))
  const conn = new Connection(wire.transport, { name: `interop-client-${name}` })
  const live = new Live()
  const test = conn.bootstrap(TestClient)
  try {
    await scenarios[name]({ test, live })
  } finally {
    test.release()
    conn.close()
    await conn.closed
  }
  // Closing the connection releases whatever the peer still held of ours.
  assert.equal(live.count, 0, 'client-hosted objects alive after the connection closed')
  return wire.events
}

describe('rpc interop: TypeScript client -> C++ server', function () {
  this.timeout(180_000)
  let server: RunningServer
  let dir: string

  before(async () => {
    const peers = await buildCppPeers()
    dir = mkdtempSync(join(tmpdir(), 'ww-interop-'))
    server = await startCppServer(peers.server, `unix:${join(dir, 'cpp.sock')}`)
  })

  after(async () => {
    await server?.stop()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  for (const name of scenarioNames) {
    it(name, async () => {
      const events = await runScenario(server.address, name)
      checkWire(events, tsClientOfCpp[name])
      if (name === 'pipeline') checkPipelined(events, 4)
    })
  }
})

describe('rpc interop: TypeScript client -> TypeScript server (unix socket)', function () {
  this.timeout(180_000)
  let server: TsTestServer
  let dir: string
  const live = new Live()

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ww-interop-'))
    server = await startTsTestServer(join(dir, 'ts.sock'), live)
  })

  after(async () => {
    await server?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  for (const name of scenarioNames) {
    it(name, async () => {
      const events = await runScenario(server.address, name)
      checkWire(events, tsClientOfTs[name])
      if (name === 'pipeline') checkPipelined(events, 4)
    })
  }
})

describe('rpc interop: TypeScript client -> C++ server over TCP', function () {
  this.timeout(180_000)
  let server: RunningServer

  before(async () => {
    const peers = await buildCppPeers()
    server = await startCppServer(peers.server, '127.0.0.1:0')
  })

  after(async () => { await server?.stop() })

  for (const name of ['pipeline', 'echo-own', 'calls-10k', 'stream', 'bulk'] as const) {
    it(name, async () => { checkWire(await runScenario(server.address, name), tsClientOfCpp[name]) })
  }
})
