// Chan.offer: a synchronous send that takes a message only when send() would not wait.
import assert from 'node:assert/strict'
import { Chan } from '../../src/csp/chan.js'
import { Closed } from '../../src/errors.js'

describe('csp: Chan.offer', () => {
  it('fills the buffer up to capacity, then refuses and takes nothing', async () => {
    const ch = new Chan<number>(2)
    assert.equal(ch.offer(1), true)
    assert.equal(ch.offer(2), true)
    assert.equal(ch.offer(3), false)
    assert.deepEqual(ch.stat(), { capacity: 2, buffered: 2, waitingSenders: 0, waitingRecvers: 0, closed: false })
    assert.equal(await ch.recv(), 1)
    assert.equal(await ch.recv(), 2)
    assert.equal(ch.poll(), undefined, 'the refused message was not taken')
  })

  it('hands a message to the longest-waiting receiver, even on a rendezvous channel', async () => {
    const ch = new Chan<string>(0)
    assert.equal(ch.offer('nobody waits'), false)
    const first = ch.recv()
    const second = ch.recv()
    assert.equal(ch.offer('a'), true)
    assert.equal(ch.offer('b'), true)
    assert.deepEqual([await first, await second], ['a', 'b'])
  })

  it('does not overtake a waiting sender (FIFO kept)', async () => {
    const ch = new Chan<number>(1)
    await ch.send(1)
    const waiting = ch.send(2)
    assert.equal(await ch.recv(), 1) // 2 moves into the buffer
    await waiting
    assert.equal(ch.offer(3), false, 'the buffer is full again')
    const late = ch.send(4)
    assert.equal(await ch.recv(), 2)
    await late
    assert.equal(ch.offer(5), false, 'sender 4 is in the buffer first')
    assert.equal(await ch.recv(), 4)
  })

  it('refuses on a closed channel; send() then says why', async () => {
    const ch = new Chan<number>(4)
    ch.close()
    assert.equal(ch.offer(1), false)
    await assert.rejects(ch.send(1), Closed)
  })
})
