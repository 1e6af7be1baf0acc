import assert from 'node:assert/strict'
import type { Proc } from '../../src/proc/index.js'
import { guest, node, until, warmCache } from './helpers.js'

describe('proc: many idle procs', function () {
  this.timeout(300_000)
  before(warmCache)

  it('holds 1,000 procs blocked in recv on one node, and kills them all cleanly', async () => {
    const { executor, world } = node()
    const bytes = guest('echo')
    const procs: Proc[] = []
    for (let i = 0; i < 1000; i++) procs.push(await executor.spawn({ module: { bytes }, args: [`/peer/idle/${i}`] }))
    await until(() => procs.every(p => p.suspensions > 0), 120_000, 'every proc to block in recv')
    assert.equal(executor.running, 1000)
    // the node is not stalled: a timer fires while they wait
    await new Promise(resolve => setTimeout(resolve, 10))
    const root = world.tree.root()
    const idle = root.walk('/12D3KooWTestPeerA/idle')
    assert.equal(idle.ls().length, 1000)
    for (const p of procs) p.kill()
    const statuses = await Promise.all(procs.map(async p => await p.wait()))
    assert.ok(statuses.every(s => s.reason === 'killed'))
    assert.equal(executor.running, 0)
    idle.release(); root.release()
  })
})
