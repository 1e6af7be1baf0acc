// promisedCapability: a capability usable before the real one exists.
import assert from 'node:assert/strict'
import { promisedCapability } from '../../src/rpc/index.js'
import { NotFound } from '../../src/errors.js'
import { AdderClient, type AdderServer } from './gen/rpctest.rpc.js'
import { turns } from '../waiting.js'

function adder (log: string[], name = 'real'): AdderServer {
  return {
    add (p, r) { log.push(`${name}:${p.a}`); r.sum = p.a + p.b; r.via = name },
    next () {},
    addVia () {},
    [Symbol.dispose] () { log.push(`${name}:disposed`) }
  }
}

describe('rpc: promisedCapability', () => {
  it('queues calls in order until the capability arrives', async () => {
    const log: string[] = []
    let give!: (c: AdderClient) => void
    const cap = promisedCapability(AdderClient, new Promise((resolve) => { give = resolve }))
    const answers = [1n, 2n, 3n].map((a) => cap.add((p) => { p.a = a; p.b = 10n }))
    await new Promise((resolve) => setTimeout(resolve, 10))
    assert.deepEqual(log, [], 'nothing runs before the capability exists')
    give(AdderClient.serve(adder(log)))
    const sums = await Promise.all(answers)
    assert.deepEqual(sums.map((s) => s.sum), [11n, 12n, 13n])
    assert.deepEqual(log, ['real:1', 'real:2', 'real:3'])
    using later = cap.add((p) => { p.a = 4n })
    assert.equal((await later).via, 'real')
    cap.release()
    assert.deepEqual(log.slice(-1), ['real:disposed'], 'the promised reference owned the real one')
  })

  it('fails queued and later calls with the error it rejects with', async () => {
    let fail!: (e: Error) => void
    const cap = promisedCapability(AdderClient, new Promise((_resolve, reject) => { fail = reject }))
    const early = cap.add()
    fail(new NotFound('no such peer'))
    await assert.rejects(early.results, NotFound)
    await assert.rejects(cap.add().results, NotFound)
    cap.release()
  })

  it('released before it resolves: the capability is released when it arrives', async () => {
    const log: string[] = []
    let give!: (c: AdderClient) => void
    const cap = promisedCapability(AdderClient, new Promise((resolve) => { give = resolve }))
    cap.release()
    give(AdderClient.serve(adder(log)))
    await turns()
    assert.deepEqual(log, ['real:disposed'])
  })
})
