// Chan.recvThen: recv() told through callbacks in the very step of the hand-off, exactly once, with recv()'s rules
// (what a waiting guest on this host is woken by: src/proc/parked.ts).
import assert from 'node:assert/strict'
import { Chan } from '../../src/csp/chan.js'
import { Canceled, Closed, LimitExceeded } from '../../src/errors.js'

/** A receiver that records what it was told, and how often. */
function recorder<T> (): { onMsg: (m: T) => void, onErr: (e: Error) => void, got: T[], errors: Error[] } {
  const got: T[] = []
  const errors: Error[] = []
  return { got, errors, onMsg: m => { got.push(m) }, onErr: e => { errors.push(e) } }
}

describe('csp: Chan.recvThen', () => {
  it('is told inside the send that hands the message over: done when offer or send returns', async () => {
    const ch = new Chan<number>(4)
    const r = recorder<number>()
    ch.recvThen({}, r.onMsg, r.onErr)
    assert.deepEqual(r.got, [], 'nothing there: it waits')
    assert.equal(ch.stat().waitingRecvers, 1)
    assert.equal(ch.offer(1), true)
    assert.deepEqual(r.got, [1], 'told in the same step, no promise to wait for')
    const p = ch.send(2)
    assert.deepEqual(r.got, [1], 'told once: the next message is buffered')
    await p
    assert.equal(ch.poll(), 2)
  })

  it('takes a message that is there at once, in recv\'s order, the waiting sender\'s included (rendezvous)', () => {
    const ch = new Chan<string>(0)
    let sent = false
    void ch.send('a').then(() => { sent = true })
    const r = recorder<string>()
    ch.recvThen({}, r.onMsg, r.onErr)
    assert.deepEqual(r.got, ['a'])
    assert.equal(ch.stat().waitingSenders, 0)
    return Promise.resolve().then(() => { assert.ok(sent, 'the sender was released by the hand-off') })
  })

  it('a closed channel, an aborted signal and a full wait list fail at once, taking nothing', () => {
    const closed = new Chan<number>(1)
    closed.close()
    const a = recorder<number>()
    closed.recvThen({}, a.onMsg, a.onErr)
    assert.ok(a.errors[0] instanceof Closed)

    const ctl = new AbortController()
    ctl.abort()
    const b = recorder<number>()
    new Chan<number>(1).recvThen({ signal: ctl.signal }, b.onMsg, b.onErr)
    assert.ok(b.errors[0] instanceof Canceled)

    const full = new Chan<number>(0, { limits: { maxWaitingRecvers: 1 } })
    full.recvThen({}, () => {}, () => {})
    const c = recorder<number>()
    full.recvThen({}, c.onMsg, c.onErr)
    assert.ok(c.errors[0] instanceof LimitExceeded)
    assert.equal(full.stat().waitingRecvers, 1)
  })

  it('aborting withdraws the wait: told Canceled once, and the next message goes to the next receiver', async () => {
    const ch = new Chan<number>(1)
    const ctl = new AbortController()
    const r = recorder<number>()
    ch.recvThen({ signal: ctl.signal }, r.onMsg, r.onErr)
    ctl.abort()
    ctl.abort()
    assert.equal(r.errors.length, 1)
    assert.ok(r.errors[0] instanceof Canceled)
    assert.equal(ch.stat().waitingRecvers, 0)
    const next = ch.recv()
    await ch.send(7)
    assert.equal(await next, 7)
    assert.deepEqual(r.got, [], 'nothing was handed to the withdrawn wait')
  })

  it('an abort after the hand-off changes nothing: the message stays told, no error follows', () => {
    const ch = new Chan<number>(1)
    const ctl = new AbortController()
    const r = recorder<number>()
    ch.recvThen({ signal: ctl.signal }, r.onMsg, r.onErr)
    ch.offer(3)
    ctl.abort()
    assert.deepEqual(r.got, [3])
    assert.deepEqual(r.errors, [])
  })

  it('close tells every waiting receiver Closed, once each', () => {
    const ch = new Chan<number>(2)
    const rs = [recorder<number>(), recorder<number>()]
    for (const r of rs) ch.recvThen({}, r.onMsg, r.onErr)
    ch.close()
    ch.close()
    for (const r of rs) {
      assert.equal(r.errors.length, 1)
      assert.ok(r.errors[0] instanceof Closed)
      assert.deepEqual(r.got, [])
    }
  })
})
