// What a node keeps of the procs that ended: a few thousand short procs spawned through the node's Executor
// capability (the server `ww run` reaches) must leave behind their listing (ps, logs, wait) and nothing more,
// not their instance and linear memory. The figure is the heap plus what lives outside it (wasm memories), after gc.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { resolveHome } from '../../src/host/home.js'
import { WwNode } from '../../src/host/node.js'
import { writeSpawnRequest } from '../../src/caps/spawn-request.js'
import { DEFAULT_RUNTIME_LIMITS } from '../../src/proc/index.js'
import { Host_Executor$Results$Caps } from '../../src/schema/host.rpc.js'
import { guest } from './cli-procs.js'

/** The runtime's gc: from --expose-gc, or switched on now. */
function collector (): () => void {
  const given = (globalThis as { gc?: () => void }).gc
  if (given !== undefined) return given
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/** The most an exited proc may cost while it stays listed (its log blocks, status, names), in bytes. */
const PER_LISTED_PROC = 32 * 1024
/** The most memory may grow per proc once the listing is full: nothing is kept, give or take noise. */
const PER_PROC_PAST_LISTING = 1024

describe('host: an ended proc leaves only its listing behind', function () {
  this.timeout(600_000)
  let node: WwNode
  let dir: string
  const gc = collector()
  const kept = DEFAULT_RUNTIME_LIMITS.maxExitedKept

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ww-retention-'))
    node = await WwNode.start({ home: resolveHome(dir), mdns: false, api: false, listen: ['/ip4/127.0.0.1/tcp/0'] })
  })
  after(async () => {
    await node?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Heap and off-heap bytes in use after full collections. */
  async function retained (): Promise<number> {
    for (let i = 0; i < 4; i++) { gc(); await new Promise(resolve => setTimeout(resolve, 20)) }
    const m = process.memoryUsage()
    return m.heapUsed + m.external
  }

  /** Spawns hello `n` times through the Executor capability, one after another, each waited for. */
  async function spawnMany (hash: Uint8Array, n: number): Promise<void> {
    using ans = node.host.executor()
    const executor = Host_Executor$Results$Caps.executor.get(await ans)
    for (let i = 0; i < n; i++) {
      using spawned = executor.spawn(p => { writeSpawnRequest(p._initRequest(), { hash, args: [String(i)], detached: true }) })
      using waited = spawned.pipeline.proc.wait()
      const st = (await waited).status
      assert.equal(st.code, 7, `proc ${i}: ${st.message}`)
    }
  }

  it(`keeps at most ${PER_LISTED_PROC / 1024} KiB per listed proc and nothing once maxExitedKept (${kept}) are listed`, async () => {
    const hash = await node.procs.cache.add(new Uint8Array(readFileSync(guest('hello'))))
    const warm = 200
    await spawnMany(hash, warm)
    const m0 = await retained()
    await spawnMany(hash, kept + 100) // the listing fills: `kept - warm` more listed procs
    const m1 = await retained()
    const past = 1500
    await spawnMany(hash, past)
    const m2 = await retained()
    assert.equal(node.procs.executor.ps().length, kept, 'the listing is full')
    const perListed = (m1 - m0) / (kept - warm)
    const perPast = (m2 - m1) / past
    assert.ok(perListed < PER_LISTED_PROC, `each listed proc holds ${Math.round(perListed)} bytes (a proc's instance and memory kept alive?)`)
    assert.ok(perPast < PER_PROC_PAST_LISTING, `memory grows ${Math.round(perPast)} bytes per proc past the listing`)
  })
})
