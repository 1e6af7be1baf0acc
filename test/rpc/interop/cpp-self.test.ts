// The suite's own baseline: the C++ client passes every scenario against the C++ server, so a
// failure in the TypeScript directions is the TypeScript side's, not the scenario's.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildCppPeers, runCppClient, startCppServer, type CppPeers, type RunningServer } from './cpp-peers.js'
import { scenarioNames } from './scenarios.js'

describe('rpc interop: C++ client -> C++ server (baseline)', function () {
  this.timeout(180_000)
  let peers: CppPeers
  let server: RunningServer
  let dir: string

  before(async () => {
    peers = await buildCppPeers()
    dir = mkdtempSync(join(tmpdir(), 'ww-interop-'))
    server = await startCppServer(peers.server, `unix:${join(dir, 'cpp.sock')}`)
  })

  after(async () => {
    await server?.stop()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('the client knows exactly the scenarios the suite lists', async () => {
    const r = await runCppClient(peers.client, 'unix:/nonexistent', ['list'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.stdout.trim().split('\n').sort(), [...scenarioNames].sort())
  })

  for (const name of scenarioNames) {
    it(name, async () => {
      const r = await runCppClient(peers.client, server.address, [name])
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`)
      assert.match(r.stdout, new RegExp(`^ok ${name}$`, 'm'))
    })
  }
})
