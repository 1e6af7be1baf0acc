import assert from 'node:assert/strict'
import { Executor, LocalWorld, type RuntimeLimits } from '../../src/proc/index.js'
import { hasStartSection } from '../../src/proc/wasm-start.js'
import { guest, PEER, run, sharedCache, warmCache, wat } from './helpers.js'

/** Adds 1 to a counter in its memory and a mutable global, and exits with their sum: 2 on a fresh instance. */
const COUNTER = wat(`(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (func (export "_start")
    (i32.store (i32.const 60000) (i32.add (i32.load (i32.const 60000)) (i32.const 1)))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (call $exit (i32.add (global.get $g) (i32.load (i32.const 60000))))))`)

/** A start section that calls an import (returning at once), so the module spawns; instantiating it runs guest code. */
const WITH_START = wat(`(module
  (import "wasi_snapshot_preview1" "ww_test_nothing" (func $nothing))
  (memory (export "memory") 1)
  (start $nothing)
  (func (export "_start")))`)

function executor (limits: Partial<RuntimeLimits> = {}): Executor {
  const world = new LocalWorld({ peerId: PEER })
  return new Executor({ cache: sharedCache, world: world.forProc, limits })
}

/** The least fuel with which hello exits 7 (binary search; fuel is deterministic). */
async function leastFuel (ex: Executor): Promise<number> {
  let lo = 1
  let hi = 1 << 24
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    const { status } = await run(ex, 'hello', { args: ['a'], limits: { fuel: mid } })
    if (status.reason === 'exited') {
      assert.equal(status.code, 7)
      hi = mid
    } else {
      assert.equal(status.reason, 'outOfFuel', status.message)
      lo = mid + 1
    }
  }
  return lo
}

describe('proc: spare instances', function () {
  this.timeout(300_000)
  before(warmCache)

  it('a module spawned before gets a spare, and each spawn of it takes a fresh instance: memory and globals start clean', async () => {
    const ex = executor()
    for (let i = 0; i < 4; i++) {
      const p = await ex.spawn({ module: { bytes: COUNTER } })
      assert.deepEqual(await p.wait(), { reason: 'exited', code: 2, message: 'exited with code 2' })
    }
    assert.equal(ex.spares.taken, 3)
    assert.equal(ex.spares.held, 1)
    assert.equal((await run(ex, 'hello', { args: ['a'] })).status.code, 7)
  })

  it('a spawn that spent its turn\'s budget alone (a loaded machine) still leaves a spare, made in the next turn', async () => {
    const ex = executor({ guestMsPerTurn: 0 }) // every turn's budget is spent before anything runs
    for (let i = 0; i < 3; i++) {
      const p = await ex.spawn({ module: { bytes: COUNTER } })
      assert.deepEqual(await p.wait(), { reason: 'exited', code: 2, message: 'exited with code 2' })
      await new Promise(resolve => setImmediate(resolve))
    }
    assert.equal(ex.spares.taken, 2)
    assert.equal(ex.spares.held, 1)
  })

  it('keeps fuel exact: the least fuel hello needs is the same from spares as from fresh instances', async () => {
    const withSpares = executor()
    const without = executor({ maxSpareInstances: 0 })
    const fresh = await leastFuel(without)
    assert.equal(without.spares.taken, 0)
    const spared = await leastFuel(withSpares)
    assert.ok(withSpares.spares.taken >= 20, `${withSpares.spares.taken} spares taken`)
    assert.equal(spared, fresh)
  })

  it('keeps memory limits exact: a memory bomb from a spare stops at its own limit, a spare per limit', async () => {
    const ex = executor()
    for (const memoryBytes of [2 << 20, 2 << 20, 4 << 20, 4 << 20]) {
      const { status } = await run(ex, 'membomb', { limits: { memoryBytes } })
      assert.equal(status.reason, 'outOfMemory')
      assert.match(status.message, new RegExp(`the limit is ${memoryBytes} bytes`))
    }
    assert.equal(ex.spares.taken, 2)
    assert.equal(ex.spares.held, 2)
  })

  it('makes no spare of a module with a wasm start section', async () => {
    assert.equal(hasStartSection(WITH_START), true)
    assert.equal(hasStartSection(COUNTER), false)
    const ex = executor()
    for (let i = 0; i < 2; i++) assert.equal((await (await ex.spawn({ module: { bytes: WITH_START } })).wait()).code, 0)
    assert.equal(ex.spares.held, 0)
    assert.equal(ex.spares.taken, 0)
  })

  it('holds at most maxSpareInstances spares, the most recently spawned modules\', within spareMemoryBytes', async () => {
    const one = executor({ maxSpareInstances: 1 })
    assert.equal((await run(one, 'hello')).status.code, 7)
    assert.equal((await (await one.spawn({ module: { bytes: COUNTER } })).wait()).code, 2)
    assert.equal(one.spares.held, 1)
    assert.equal((await (await one.spawn({ module: { bytes: COUNTER } })).wait()).code, 2)
    assert.equal(one.spares.taken, 1) // the counter's spare; hello's went when the counter's was made
    assert.equal((await run(one, 'hello')).status.code, 7)
    assert.equal(one.spares.taken, 1)

    const small = executor({ spareMemoryBytes: 65535 })
    for (let i = 0; i < 2; i++) assert.equal((await (await small.spawn({ module: { bytes: COUNTER } })).wait()).code, 2)
    assert.equal(small.spares.held, 0)
    assert.equal(small.spares.heldBytes, 0)
    const fits = executor({ spareMemoryBytes: 65536 })
    for (let i = 0; i < 2; i++) assert.equal((await (await fits.spawn({ module: { bytes: COUNTER } })).wait()).code, 2)
    assert.equal(fits.spares.taken, 1)
    assert.equal(fits.spares.heldBytes, 65536)
  })

  it('a spare of the idle guest is taken by a proc that then blocks, is killed, and ends like any other', async () => {
    const ex = executor()
    const first = await ex.spawn({ module: { bytes: guest('idle') } })
    const second = await ex.spawn({ module: { bytes: guest('idle') } })
    await new Promise(resolve => setTimeout(resolve, 50))
    const third = await ex.spawn({ module: { bytes: guest('idle') } })
    assert.ok(ex.spares.taken >= 1)
    await new Promise(resolve => setTimeout(resolve, 50))
    for (const p of [first, second, third]) { assert.equal(p.state, 'running'); p.kill() }
    for (const p of [first, second, third]) assert.equal((await p.wait()).reason, 'killed')
  })
})
