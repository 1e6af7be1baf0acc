// A spawn canceled before it returns (its caller gave up, or went away) while the host still
// fetched or prepared the module: the proc it makes is killed at once, since nobody will ever hear
// of it. Over a real RPC connection to a node, the module source held back until the cancel is in.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Canceled } from '../../src/errors.js'
import { resolveHome } from '../../src/host/home.js'
import { WwNode } from '../../src/host/node.js'
import { writeSpawnRequest } from '../../src/caps/spawn-request.js'
import { serveModuleSource } from '../../src/caps/module-source.js'
import { sha256 } from '../../src/proc/index.js'
import { Connection } from '../../src/rpc/index.js'
import { HostClient } from '../../src/schema/host.rpc.js'
import { memoryPair } from '../../src/transport/index.js'
import { eventually } from './cli-node.js'
import { guest } from './cli-procs.js'

describe('host: a spawn canceled while its module is on its way', function () {
  this.timeout(300_000)
  let node: WwNode
  let dir: string

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ww-cancel-'))
    node = await WwNode.start({ home: resolveHome(dir), mdns: false, api: false, listen: ['/ip4/127.0.0.1/tcp/0'] })
  })
  after(async () => {
    await node?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('makes a proc that is killed at once ("its spawn was canceled"), not one left running', async () => {
    const [left, right] = memoryPair()
    const server = new Connection(right, { bootstrap: node.host, name: 'node' })
    const client = new Connection(left, { name: 'caller' })
    const host = client.bootstrap(HostClient)
    try {
      const bytes = readFileSync(guest('idle'))
      let fetched!: () => void
      const asked = new Promise<void>(resolve => { fetched = resolve })
      let letGo!: () => void
      const held = new Promise<void>(resolve => { letGo = resolve })
      using source = serveModuleSource(async () => { fetched(); await held; return bytes })
      using ex = host.executor()
      const cancel = new AbortController()
      using spawned = ex.pipeline.executor.spawn(p => {
        writeSpawnRequest(p._initRequest(), { hash: sha256(bytes), source, name: 'idle.wasm', detached: true })
      }, { signal: cancel.signal })
      await asked // the host is fetching the module from us
      cancel.abort()
      await assert.rejects(async () => await spawned, Canceled)
      letGo() // the host goes on: prepares the module and spawns
      const idle = (): ReturnType<typeof node.procs.executor.ps> => node.procs.executor.ps().filter(p => p.name === 'idle.wasm')
      await eventually(() => idle().length === 1, 240_000, 'the spawn to finish preparing')
      await eventually(() => idle()[0].state === 'exited', 60_000, 'the proc to be killed (idle never ends by itself)')
      assert.deepEqual(idle()[0].status, { reason: 'killed', code: -1, message: 'killed: its spawn was canceled' })
    } finally {
      host.release()
      client.close()
      server.close()
    }
  })
})
