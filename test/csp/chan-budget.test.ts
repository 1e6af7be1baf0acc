// The bytes a host's channels hold (buffered, or in waiting senders) share one budget: a send past
// it fails LimitExceeded and takes nothing; bytes come back as messages leave.
import assert from 'node:assert/strict'
import { Chan } from '../../src/csp/chan.js'
import { ByteBudget } from '../../src/csp/byte-budget.js'
import { LimitExceeded } from '../../src/errors.js'

const KiB = 1024
const shared = new ByteBudget(10 * KiB + 1, "this host's channels")
const budget = (): ByteBudget => shared
const msg = (n: number): Uint8Array => new Uint8Array(n)
const chan = (capacity: number): Chan<Uint8Array> => new Chan<Uint8Array>(capacity, { budget: shared, sizeOf: m => m.byteLength })

describe('csp: the host budget of buffered message bytes', () => {
  afterEach(() => { assert.equal(budget().inUse, 0, 'every test gives back what it held') })

  it('two channels fill the budget together; the next send fails LimitExceeded, offer says false', async () => {
    const a = chan(100)
    const b = chan(100)
    for (let i = 0; i < 5; i++) await a.send(msg(KiB))
    for (let i = 0; i < 5; i++) await b.send(msg(KiB))
    await assert.rejects(a.send(msg(KiB)), (err: Error) => err instanceof LimitExceeded && /budget 10241/.test(err.message))
    assert.equal(b.offer(msg(KiB)), false)
    assert.equal(a.stat().buffered + b.stat().buffered, 10)
    await a.recv()
    await b.send(msg(KiB)) // room again
    a.drop()
    b.drop()
  })

  it('a message handed straight to a waiting receiver is not held, so not counted', async () => {
    const a = chan(0)
    const got = a.recv()
    assert.equal(a.offer(msg(20 * KiB)), true)
    assert.equal((await got).byteLength, 20 * KiB)
  })

  it('waiting senders hold their messages: counted while they wait, given back when canceled or closed', async () => {
    const a = chan(0)
    const ctl = new AbortController()
    const waiting = a.send(msg(6 * KiB), { signal: ctl.signal })
    assert.equal(budget().inUse, 6 * KiB)
    await assert.rejects(a.send(msg(6 * KiB)), LimitExceeded)
    ctl.abort()
    await assert.rejects(waiting)
    const closing = a.send(msg(6 * KiB))
    a.close()
    await assert.rejects(closing)
    const b = chan(0)
    const taken = b.send(msg(KiB))
    assert.equal(budget().inUse, KiB)
    assert.equal((await b.recv()).byteLength, KiB) // a rendezvous: taken off the waiting sender
    await taken
  })

  it('a message given back (putBack) is held again even past the budget; drop gives everything back', async () => {
    const a = chan(20)
    for (let i = 0; i < 10; i++) await a.send(msg(KiB))
    const m = await a.recv()
    await a.send(msg(KiB))
    a.putBack(m)
    assert.equal(budget().inUse, 11 * KiB)
    a.drop()
  })

  it('a channel that does not know its message sizes counts nothing', async () => {
    const a = new Chan<Uint8Array>(10, { budget: shared })
    for (let i = 0; i < 10; i++) await a.send(msg(10 * KiB))
    assert.equal(budget().inUse, 0)
  })
})
