// The Executor capability in-process: typed errors for modules nobody has and unknown pids.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ModuleNotFound, NotFound } from '../../src/errors.js'
import { resolveHome } from '../../src/host/home.js'
import { WwNode } from '../../src/host/node.js'
import { writeSpawnRequest } from '../../src/caps/spawn-request.js'
import { serveModuleSource } from '../../src/caps/module-source.js'
import { Host_Executor$Results$Caps } from '../../src/schema/host.rpc.js'

describe('host: the Executor capability', function () {
  this.timeout(60_000)
  let node: WwNode
  let dir: string

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ww-exec-'))
    node = await WwNode.start({ home: resolveHome(dir), mdns: false, api: false, listen: ['/ip4/127.0.0.1/tcp/0'] })
  })
  after(async () => {
    await node?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const hash = new Uint8Array(32).fill(7)

  async function spawnByHash (withSource: boolean): Promise<unknown> {
    using ex = node.host.executor()
    const executor = Host_Executor$Results$Caps.executor.get(await ex)
    using source = serveModuleSource(async () => undefined)
    using ans = executor.spawn(p => { writeSpawnRequest(p._initRequest(), { hash, source: withSource ? source : undefined }) })
    return await ans
  }

  it('spawn by a hash nobody has fails with ModuleNotFound, with or without a source', async () => {
    await assert.rejects(spawnByHash(false), ModuleNotFound)
    await assert.rejects(spawnByHash(true), ModuleNotFound)
  })

  it('proc(pid) of an unknown pid fails with NotFound; ps lists nothing on a fresh node', async () => {
    using ex = node.host.executor()
    const executor = Host_Executor$Results$Caps.executor.get(await ex)
    using ps = executor.ps()
    assert.equal((await ps).procs.length, 0)
    using p = executor.proc(q => { q.pid = 42 })
    await assert.rejects(async () => await p, NotFound)
  })
})
