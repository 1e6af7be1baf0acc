import assert from 'node:assert/strict'
import { Chan } from '../../src/csp/chan.js'
import { Closed, InvalidArgument, LimitExceeded } from '../../src/errors.js'

describe('csp: close, drop, limits, facets', () => {
  it('close: waiting senders fail, receivers drain the buffer then get Closed, later sends fail', async () => {
    const ch = new Chan<string>(1)
    await ch.send('a')
    const waiting = ch.send('b')
    assert.equal(ch.stat().waitingSenders, 1)
    ch.close()
    await assert.rejects(waiting, Closed)
    await assert.rejects(ch.send('c'), Closed)
    assert.equal(await ch.recv(), 'a')
    await assert.rejects(ch.recv(), Closed)
    await assert.rejects(ch.recv(), Closed)
    ch.close() // twice is fine
    assert.equal(ch.stat().closed, true)
  })

  it('close wakes every waiting receiver with Closed', async () => {
    const ch = new Chan<string>(0)
    const recvs = [ch.recv(), ch.recv(), ch.recv()]
    assert.equal(ch.stat().waitingRecvers, 3)
    ch.close()
    for (const r of recvs) await assert.rejects(r, Closed)
    assert.equal(ch.stat().waitingRecvers, 0)
  })

  it('drop releases every buffered message exactly once, and later put-backs too', async () => {
    const released: number[] = []
    const ch = new Chan<number>(8, { release: m => released.push(m) })
    for (let i = 0; i < 5; i++) await ch.send(i)
    assert.equal(await ch.recv(), 0)
    ch.drop()
    ch.drop()
    assert.deepEqual(released, [1, 2, 3, 4])
    await assert.rejects(ch.recv(), Closed)
    ch.putBack(9)
    assert.deepEqual(released, [1, 2, 3, 4, 9])
  })

  it('close keeps buffered messages (no release) until they are received', async () => {
    const released: number[] = []
    const ch = new Chan<number>(2, { release: m => released.push(m) })
    await ch.send(1)
    ch.close()
    assert.deepEqual(released, [])
    assert.equal(await ch.recv(), 1)
  })

  it('putBack puts a taken message in front of later ones, or hands it to a waiting receiver', async () => {
    const ch = new Chan<number>(2)
    await ch.send(1)
    await ch.send(2)
    const taken = await ch.recv()
    ch.putBack(taken)
    assert.deepEqual([await ch.recv(), await ch.recv()], [1, 2])
    const waiting = ch.recv()
    ch.putBack(7)
    assert.equal(await waiting, 7)
  })

  it('putBack on a rendezvous channel does not complete a waiting sender early', async () => {
    const ch = new Chan<string>(0)
    let sent = false
    const s = ch.send('later').then(() => { sent = true })
    ch.putBack('returned')
    assert.equal(await ch.recv(), 'returned')
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(sent, false)
    assert.deepEqual(ch.stat(), { capacity: 0, buffered: 0, waitingSenders: 1, waitingRecvers: 0, closed: false })
    assert.equal(await ch.recv(), 'later')
    await s
  })

  it('rejects bad capacities and enforces the waiting limits', async () => {
    assert.throws(() => new Chan(-1), InvalidArgument)
    assert.throws(() => new Chan(1.5), InvalidArgument)
    assert.throws(() => new Chan(11, { limits: { maxCapacity: 10 } }), LimitExceeded)
    const ch = new Chan<number>(0, { limits: { maxWaitingSenders: 2, maxWaitingRecvers: 1 } })
    const s1 = ch.send(1)
    const s2 = ch.send(2)
    await assert.rejects(ch.send(3), LimitExceeded)
    assert.equal(await ch.recv(), 1)
    assert.equal(await ch.recv(), 2)
    await Promise.all([s1, s2])
    const r = ch.recv()
    await assert.rejects(ch.recv(), LimitExceeded)
    await ch.send(4)
    assert.equal(await r, 4)
  })

  it('facets carry only their own authority', async () => {
    const ch = new Chan<string>(1)
    const s = ch.sender()
    const r = ch.recver()
    const c = ch.closer()
    assert.deepEqual(Object.keys(s), ['send', 'offer'])
    assert.deepEqual(Object.keys(r), ['recv', 'poll'])
    assert.deepEqual(Object.keys(c), ['close'])
    await s.send('hi')
    assert.equal(await r.recv(), 'hi')
    c.close()
    await assert.rejects(s.send('x'), Closed)
  })
})
