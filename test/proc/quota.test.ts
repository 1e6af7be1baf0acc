import assert from 'node:assert/strict'
import { InvalidArgument, LimitExceeded } from '../../src/errors.js'
import { DEFAULT_RUNTIME_LIMITS, Executor, LocalWorld, OWNER, Quotas, type QuotaLimits } from '../../src/proc/index.js'
import { collector, guest, PEER, sharedCache, until, warmCache } from './helpers.js'

const MiB = 1024 * 1024
const limits = (given: Partial<QuotaLimits>): QuotaLimits => ({ ...DEFAULT_RUNTIME_LIMITS, ...given })

describe('proc: quotas', function () {
  this.timeout(300_000)

  it('counts live procs per account and per host, and gives them back on release', () => {
    const q = new Quotas(limits({ maxProcs: 3, maxProcsPerPeer: 2 }))
    const a1 = q.charge('peerA', MiB)
    q.charge('peerA', MiB)
    assert.throws(() => q.charge('peerA', MiB), (err: Error) => err instanceof LimitExceeded &&
      err.message === 'peer peerA runs 2 procs on this host, the most one peer may (maxProcsPerPeer 2; ww start --max-procs-per-peer raises it)')
    q.charge('peerB', MiB)
    assert.throws(() => q.charge('peerC', MiB), /: this host runs 3 procs, its most \(maxProcs 3; ww start --max-procs raises it\)$/)
    assert.deepEqual([q.procsOf(), q.procsOf('peerA'), q.memoryOf(), q.memoryOf('peerA')], [3, 2, 3 * MiB, 2 * MiB])
    a1.release()
    a1.release() // a second release gives nothing back twice
    assert.deepEqual([q.procsOf(), q.procsOf('peerA'), q.memoryOf('peerA')], [2, 1, MiB])
    q.charge('peerC', MiB)
  })

  it('sums the memory granted, per account and per host', () => {
    const q = new Quotas(limits({ maxGuestMemoryBytes: 10 * MiB, maxGuestMemoryBytesPerPeer: 6 * MiB }))
    q.charge('peerA', 4 * MiB)
    assert.throws(() => q.charge('peerA', 3 * MiB), (err: Error) => err instanceof LimitExceeded &&
      /^a proc granted 3145728 bytes of memory would take peer peerA's procs past 6291456 bytes \(4194304 granted\) \(maxGuestMemoryBytesPerPeer 6291456; ww start --max-guest-memory-per-peer raises it\)$/.test(err.message))
    q.charge('peerB', 6 * MiB)
    assert.throws(() => q.charge('peerC', MiB), /maxGuestMemoryBytes 10485760; ww start --max-guest-memory raises it/)
  })

  it('limits each peer\'s spawn rate with a token bucket', () => {
    let now = 0
    const q = new Quotas(limits({ spawnsPerSecondPerPeer: 2, spawnBurstPerPeer: 3 }), () => now)
    for (let i = 0; i < 3; i++) q.charge('peerA', MiB).release()
    assert.throws(() => q.charge('peerA', MiB), /peer peerA starts spawns faster than this host allows: 2 per second, bursts of 3; try again later \(spawnsPerSecondPerPeer 2; ww start --spawn-rate raises it\)/)
    q.charge('peerB', MiB) // another peer has its own bucket
    now = 400 // 0.8 token
    assert.throws(() => q.charge('peerA', MiB), LimitExceeded)
    now = 900 // 0.8 + 1.0 = 1.8 tokens: one spawn
    q.charge('peerA', MiB)
    assert.throws(() => q.charge('peerA', MiB), LimitExceeded)
  })

  it('binds the owner by the host-wide quotas only', () => {
    const q = new Quotas(limits({ maxProcs: 4, maxProcsPerPeer: 1, spawnsPerSecondPerPeer: 1, spawnBurstPerPeer: 1, maxGuestMemoryBytesPerPeer: MiB }), () => 0)
    for (let i = 0; i < 4; i++) q.charge(OWNER, 2 * MiB)
    assert.throws(() => q.charge(OWNER, MiB), /: this host runs 4 procs, its most/)
  })

  describe('in an executor', () => {
    before(warmCache)

    it('stops a fork bomb at maxProcs: the guest sees LIMIT, the procs end when killed and give their share back', async () => {
      const world = new LocalWorld({ peerId: PEER })
      const executor = new Executor({ cache: sharedCache, world: world.forProc, limits: { maxProcs: 20 } })
      const err = collector()
      const root = await executor.spawn({ module: { bytes: guest('forkbomb') }, stderr: err.sink, account: 'peerA' })
      await until(() => /failed/.test(err.text()), 60_000, 'the root bomb to fail a spawn')
      assert.match(err.text(), /^forkbomb: spawn \d+ failed \(-6\): LimitExceeded: this host runs 20 procs, its most \(maxProcs 20; ww start --max-procs raises it\)\n$/)
      await until(() => executor.running === 20, 60_000, 'the bomb to fill the quota')
      assert.equal(executor.quotas.procsOf('peerA'), 20) // its children are charged to the root's account
      await assert.rejects(executor.spawn({ module: { bytes: guest('hello') } }), LimitExceeded)
      const all = executor.ps().filter(p => p.state === 'running')
      for (const p of all) executor.kill(p.pid)
      await Promise.all(all.map(async p => await executor.proc(p.pid).wait()))
      assert.equal((await root.wait()).reason, 'killed')
      assert.deepEqual([executor.quotas.procsOf(), executor.quotas.procsOf('peerA'), executor.quotas.memoryOf()], [0, 0, 0])
    })

    it('gives the share back when a spawn fails before its proc runs', async () => {
      const world = new LocalWorld({ peerId: PEER })
      const executor = new Executor({ cache: sharedCache, world: world.forProc, limits: { maxProcs: 1 } })
      await assert.rejects(executor.spawn({ module: { bytes: new TextEncoder().encode('not wasm') } }), InvalidArgument)
      await assert.rejects(executor.spawn({ module: { bytes: guest('hello') }, limits: { memoryBytes: 64 * 1024 } }), LimitExceeded) // needs more at start
      assert.equal(executor.quotas.procsOf(), 0)
      const p = await executor.spawn({ module: { bytes: guest('hello') }, stdout: () => {}, stderr: () => {} })
      assert.equal((await p.wait()).code, 7)
      assert.equal(executor.quotas.procsOf(), 0)
    })
  })
})
