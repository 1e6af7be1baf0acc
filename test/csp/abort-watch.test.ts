import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { unwatchAbort, watchAbort } from '../../src/csp/abort-watch.js'
import { Chan } from '../../src/csp/chan.js'
import { Canceled } from '../../src/errors.js'

describe('csp: many waits on one AbortSignal', () => {
  it('a thousand waits register one abort listener on the signal, and abort still withdraws the next', async () => {
    const ch = new Chan<number>(0)
    const ac = new AbortController()
    let added = 0
    const add = ac.signal.addEventListener.bind(ac.signal)
    ac.signal.addEventListener = (...args: Parameters<typeof add>) => { added++; add(...args) }
    for (let i = 0; i < 1000; i++) {
      const r = ch.recv({ signal: ac.signal })
      assert.equal(ch.offer(i), true)
      assert.equal(await r, i)
    }
    assert.equal(added, 1)
    assert.equal(getEventListeners(ac.signal, 'abort').length, 1)
    const waiting = ch.recv({ signal: ac.signal })
    ac.abort()
    await assert.rejects(waiting, Canceled)
    assert.equal(ch.stat().waitingRecvers, 0)
    assert.equal(ch.offer(1), false) // nobody waits: the withdrawn receiver took nothing
  })

  it('one abort withdraws every operation waiting on the signal, across channels, and no other', async () => {
    const ac = new AbortController()
    const chans = Array.from({ length: 50 }, () => new Chan<number>(0))
    const full = Array.from({ length: 50 }, () => new Chan<number>(0))
    const recvs = chans.map(ch => ch.recv({ signal: ac.signal }))
    const sends = full.map((ch, i) => ch.send(i, { signal: ac.signal }))
    const other = chans[0].recv()
    ac.abort()
    for (const p of [...recvs, ...sends]) await assert.rejects(p, Canceled)
    for (const ch of [...chans.slice(1), ...full]) assert.deepEqual([ch.stat().waitingRecvers, ch.stat().waitingSenders], [0, 0])
    await chans[0].send(7)
    assert.equal(await other, 7)
  })

  it('watchers fire in the order they were added, an unwatched one (first, middle or last) not at all, each once', () => {
    const ac = new AbortController()
    const fired: string[] = []
    const ws = ['a', 'b', 'c', 'd', 'e'].map(name => watchAbort(ac.signal, () => { fired.push(name) }))
    unwatchAbort(ws[0]); unwatchAbort(ws[2]); unwatchAbort(ws[4]); unwatchAbort(ws[2])
    ac.abort()
    ac.abort()
    unwatchAbort(ws[1]) // after it fired: nothing
    assert.deepEqual(fired, ['b', 'd'])
  })
})
