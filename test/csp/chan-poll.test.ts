// Chan.poll: a synchronous receive that takes only what is there now, in recv()'s order.
import assert from 'node:assert/strict'
import { Chan } from '../../src/csp/chan.js'
import { Closed } from '../../src/errors.js'

describe('csp: Chan.poll', () => {
  it('an empty channel gives undefined and takes nothing; a later recv still waits for the next send', async () => {
    const ch = new Chan<number>(4)
    assert.equal(ch.poll(), undefined)
    const r = ch.recv()
    assert.equal(ch.poll(), undefined, 'a waiting receiver means nothing is there')
    await ch.send(1)
    assert.equal(await r, 1)
    assert.deepEqual(ch.stat(), { capacity: 4, buffered: 0, waitingSenders: 0, waitingRecvers: 0, closed: false })
  })

  it('takes the buffer front first, then waiting senders move up in arrival order (FIFO kept)', async () => {
    const ch = new Chan<number>(2)
    const sent = [1, 2, 3, 4, 5].map(async n => await ch.send(n))
    assert.deepEqual(ch.stat().waitingSenders, 3)
    const got: number[] = []
    for (let m = ch.poll(); m !== undefined; m = ch.poll()) got.push(m)
    assert.deepEqual(got, [1, 2, 3, 4, 5])
    await Promise.all(sent) // every sender was released by its hand-off
    assert.equal(ch.stat().buffered, 0)
  })

  it('rendezvous: takes a waiting sender\'s message and completes that send', async () => {
    const ch = new Chan<string>(0)
    let done = false
    const s = ch.send('a').then(() => { done = true })
    assert.equal(ch.poll(), 'a')
    await s
    assert.equal(done, true)
    assert.equal(ch.poll(), undefined)
  })

  it('mixing poll and recv among many senders loses and duplicates nothing, FIFO per sender', async () => {
    const ch = new Chan<{ from: number, seq: number }>(3)
    const perSender = 300
    const senders = Array.from({ length: 4 }, async (_, from) => {
      for (let seq = 0; seq < perSender; seq++) await ch.send({ from, seq })
    })
    const all = Promise.all(senders).then(() => { ch.close() })
    const got: Array<{ from: number, seq: number }> = []
    for (let i = 0; ; i++) {
      const polled = i % 2 === 0 ? ch.poll() : undefined
      if (polled !== undefined) { got.push(polled); continue }
      try { got.push(await ch.recv()) } catch (err) { assert.ok(err instanceof Closed); break }
    }
    await all
    assert.equal(got.length, 4 * perSender)
    for (let from = 0; from < 4; from++) {
      assert.deepEqual(got.filter(m => m.from === from).map(m => m.seq), Array.from({ length: perSender }, (_, i) => i))
    }
  })

  it('a closed channel still drains by poll; once empty poll gives undefined and recv says Closed', async () => {
    const ch = new Chan<number>(2)
    await ch.send(7)
    ch.close()
    assert.equal(ch.poll(), 7)
    assert.equal(ch.poll(), undefined)
    await assert.rejects(ch.recv(), Closed)
  })

  it('a message put back is polled first', async () => {
    const ch = new Chan<number>(2)
    await ch.send(2)
    ch.putBack(1)
    assert.equal(ch.recver().poll(), 1)
    assert.equal(ch.poll(), 2)
  })
})
