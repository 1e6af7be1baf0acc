// Proc trees in src/proc: a child's limits are its parent's or narrower (childLimits), and on one node
// (LocalWorld) a child ends with its parent unless detached. Across hosts: test/host/proc-tree.test.ts.
import assert from 'node:assert/strict'
import { childLimits, PARENT_ENDED } from '../../src/proc/index.js'
import { guest, node } from './helpers.js'

const MiB = 1024 * 1024

describe('proc: proc trees', function () {
  this.timeout(120_000)

  it('childLimits: asking for nothing gets the parent\'s; asking for more is clamped; less is kept', () => {
    const parent = { memoryBytes: 8 * MiB, fuel: 1000, timeoutMs: 5000 }
    assert.deepEqual(childLimits(parent), parent)
    assert.deepEqual(childLimits(parent, { memoryBytes: 64 * MiB, fuel: 0, timeoutMs: 60_000 }), parent)
    assert.deepEqual(childLimits(parent, { memoryBytes: 2 * MiB, fuel: 10, timeoutMs: 100 }), { memoryBytes: 2 * MiB, fuel: 10, timeoutMs: 100 })
    // an unlimited parent (fuel 0, no timeout) lets a child choose a limit, or none
    const free = { memoryBytes: 64 * MiB, fuel: 0, timeoutMs: 0 }
    assert.deepEqual(childLimits(free, { fuel: 10, timeoutMs: 100 }), { memoryBytes: 64 * MiB, fuel: 10, timeoutMs: 100 })
    assert.deepEqual(childLimits(free, {}), free)
  })

  it('on one node, a child ends with its parent; a detached one does not, and keeps the parent\'s timeout', async () => {
    const { executor } = node()
    const parent = await executor.spawn({ module: { bytes: guest('tree') }, args: ['parent', ''], name: 'tree' })
    await until(() => executor.ps().some(p => p.args[0] === 'idle' && p.state === 'running'), 'the child')
    const child = executor.ps().find(p => p.args[0] === 'idle')!
    parent.kill()
    const status = await executor.proc(child.pid).wait()
    assert.deepEqual([status.reason, status.message], ['killed', PARENT_ENDED])

    const orphaner = await executor.spawn({ module: { bytes: guest('tree') }, args: ['orphan', ''], limits: { timeoutMs: 2000 } })
    assert.equal((await orphaner.wait()).reason, 'exited')
    const orphan = executor.ps().find(p => p.args[0] === 'idle' && p.pid > orphaner.pid)!
    assert.equal(orphan.state, 'running', 'the detached child outlived its parent')
    assert.equal((await executor.proc(orphan.pid).wait()).reason, 'timedOut')
  })
})

async function until (check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
