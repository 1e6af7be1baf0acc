// The load pipeline has two back ends for its slow steps (asyncify, optimize): a native wasm-opt and
// binaryen.js. What a guest may do must not depend on which one prepared it: the same fuel to the
// unit, the same memory limit, the same suspension. Each back end prepares the guests into a cache
// of its own (memory only), and the same checks run on both.

import assert from 'node:assert/strict'
import { Executor, LocalWorld, ModuleCache, preparedBy } from '../../src/proc/index.js'
import { configuredWasmOpt, WASM_OPT_ENV } from '../../src/proc/transform-native.js'
import { guest, run, until } from './helpers.js'

type Backend = 'wasmOpt' | 'binaryenJs'
const BACKENDS: Array<{ name: Backend, env: string | undefined }> = [
  { name: 'wasmOpt', env: undefined }, // wasm-opt on PATH (Debian package binaryen; make deps installs it)
  { name: 'binaryenJs', env: 'none' }
]

/** The least fuel that lets `hello` finish, per back end: fuel is exact only if both agree. */
const leastFuel = new Map<Backend, number>()

async function finishesWith (executor: Executor, fuel: number): Promise<boolean> {
  let r
  try {
    r = await run(executor, 'hello', { limits: { fuel } })
  } catch (err) {
    // spawn itself runs the SDK's scratch-area export, which may use up a budget this small
    assert.match((err as Error).message, /out of fuel/)
    return false
  }
  if (r.status.reason === 'exited') return true
  assert.equal(r.status.reason, 'outOfFuel', r.status.message)
  return false
}

for (const backend of BACKENDS) {
  describe(`proc: guests prepared by ${backend.name === 'wasmOpt' ? 'a native wasm-opt' : 'binaryen.js'}`, function () {
    this.timeout(300_000)
    let saved: string | undefined
    let executor: Executor

    before(async () => {
      saved = process.env[WASM_OPT_ENV]
      if (backend.env === undefined) delete process.env[WASM_OPT_ENV]
      else process.env[WASM_OPT_ENV] = backend.env
      if (backend.name === 'wasmOpt') {
        const found = await configuredWasmOpt()
        assert.ok(typeof found !== 'string', `${String(found)}: install Debian package binaryen (make deps)`)
      }
      const cache = new ModuleCache()
      const before = preparedBy[backend.name]
      const guests = ['hello', 'loop', 'membomb', 'deep', 'echo', 'ping']
      await Promise.all(guests.map(async g => await cache.add(guest(g))))
      assert.equal(preparedBy[backend.name] - before, guests.length, `every guest prepared by ${backend.name}`)
      executor = new Executor({ cache, world: new LocalWorld({ peerId: '12D3KooWTestPeerA' }).forProc })
    })

    after(() => {
      if (saved === undefined) delete process.env[WASM_OPT_ENV]
      else process.env[WASM_OPT_ENV] = saved
    })

    it('runs a guest to its exit code', async () => {
      const r = await run(executor, 'hello', { args: ['x'] })
      assert.equal(r.status.code, 7)
      assert.equal(r.stdout, 'arg 1: x\nGREETING=(unset)\n')
    })

    it('ends a looping guest with outOfFuel at its budget', async () => {
      const r = await run(executor, 'loop', { limits: { fuel: 2_000_000 } })
      assert.equal(r.status.reason, 'outOfFuel')
      assert.match(r.status.message, /budget of 2000000/)
    })

    it('counts fuel to the unit: the least fuel that lets hello finish', async () => {
      let lo = 1 // runs out
      let hi = 1 << 24 // finishes
      assert.ok(!(await finishesWith(executor, lo)))
      assert.ok(await finishesWith(executor, hi))
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2)
        if (await finishesWith(executor, mid)) hi = mid
        else lo = mid
      }
      leastFuel.set(backend.name, hi)
      const other = leastFuel.get(backend.name === 'wasmOpt' ? 'binaryenJs' : 'wasmOpt')
      if (other !== undefined) assert.equal(hi, other, 'both back ends count the same fuel')
    })

    it('stops a memory bomb at its limit with outOfMemory', async () => {
      const r = await run(executor, 'membomb', { limits: { memoryBytes: 4 * 1024 * 1024 } })
      assert.equal(r.status.reason, 'outOfMemory')
    })

    it('suspends and resumes a deep stack, and traps one too deep for its scratch area', async () => {
      const ok = await run(executor, 'deep', { args: ['100'] })
      assert.equal(ok.status.code, 0)
      assert.equal(ok.stdout, '100\n')
      assert.ok(ok.proc.suspensions >= 1)
      const tooDeep = await run(executor, 'deep', { args: ['2000'] })
      assert.equal(tooDeep.status.reason, 'trapped')
      assert.match(tooDeep.status.message, /too deep to suspend/)
    })

    it('passes messages between two guests through a channel, each suspending in recv', async () => {
      const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: ['/peer/backends'] })
      await until(() => echo.suspensions > 0, 60_000, 'echo to block in recv')
      const ping = await run(executor, 'ping', { args: ['/peer/backends', '50'] })
      assert.equal(ping.status.code, 0, ping.stderr)
      assert.match(ping.stdout, /50 round trips/)
      assert.ok(echo.suspensions >= 2)
      echo.kill()
      assert.equal((await echo.wait()).reason, 'killed')
    })

    it('preempts a looping guest at its fuel slice: another guest runs beside it', async () => {
      const loop = await executor.spawn({ module: { bytes: guest('loop') } })
      const r = await run(executor, 'hello')
      assert.equal(r.status.code, 7)
      assert.equal(loop.state, 'running')
      loop.kill()
      assert.equal((await loop.wait()).reason, 'killed')
    })
  })
}
