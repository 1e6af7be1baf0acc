import assert from 'node:assert/strict'
import { Chan } from '../../src/csp/chan.js'
import { Canceled, Closed } from '../../src/errors.js'

const tick = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

describe('csp: cancellation withdraws', () => {
  it('a canceled waiting send is withdrawn: its message is never delivered', async () => {
    const ch = new Chan<string>(0)
    const ac = new AbortController()
    const p = ch.send('withdrawn', { signal: ac.signal })
    ac.abort()
    await assert.rejects(p, Canceled)
    assert.equal(ch.stat().waitingSenders, 0)
    const r = ch.recv()
    await ch.send('next')
    assert.equal(await r, 'next')
  })

  it('a canceled waiting send on a full buffer leaves the buffer as it was', async () => {
    const ch = new Chan<number>(1)
    await ch.send(1)
    const ac = new AbortController()
    const p = ch.send(2, { signal: ac.signal })
    const q = ch.send(3)
    ac.abort()
    await assert.rejects(p, Canceled)
    assert.equal(await ch.recv(), 1)
    await q
    assert.equal(await ch.recv(), 3)
    assert.equal(ch.stat().buffered, 0)
  })

  it('a canceled waiting recv is withdrawn: the next message goes to the next receiver', async () => {
    const ch = new Chan<string>(0)
    const ac = new AbortController()
    const first = ch.recv({ signal: ac.signal })
    const second = ch.recv()
    ac.abort(new Error('caller went away'))
    await assert.rejects(first, (err: unknown) => err instanceof Canceled && (err.cause as Error).message === 'caller went away')
    await ch.send('m')
    assert.equal(await second, 'm')
  })

  it('an already-aborted signal takes nothing and enqueues nothing', async () => {
    const ch = new Chan<string>(1)
    await ch.send('kept')
    const signal = AbortSignal.abort()
    await assert.rejects(ch.recv({ signal }), Canceled)
    await assert.rejects(ch.send('never', { signal }), Canceled)
    assert.equal(await ch.recv(), 'kept')
    assert.equal(ch.stat().buffered, 0)
  })

  it('hand-off race, receiver side: abort right after a send delivered the message keeps it delivered', async () => {
    const ch = new Chan<string>(0)
    const ac = new AbortController()
    const r = ch.recv({ signal: ac.signal })
    const s = ch.send('m') // hands off synchronously
    ac.abort() // too late: the hand-off happened
    assert.equal(await r, 'm')
    await s
  })

  it('hand-off race, receiver side: abort right before the send withdraws the receiver', async () => {
    const ch = new Chan<string>(0)
    const ac = new AbortController()
    const r = ch.recv({ signal: ac.signal })
    ac.abort()
    const s = ch.send('m') // no receiver left: waits
    await assert.rejects(r, Canceled)
    assert.equal(ch.stat().waitingSenders, 1)
    assert.equal(await ch.recv(), 'm')
    await s
  })

  it('hand-off race, sender side: abort right after a recv took the message keeps the send completed', async () => {
    const ch = new Chan<string>(0)
    const ac = new AbortController()
    const s = ch.send('m', { signal: ac.signal })
    const r = ch.recv()
    ac.abort()
    await s
    assert.equal(await r, 'm')
  })

  it('hand-off race, sender side: abort right before the recv withdraws the message', async () => {
    const ch = new Chan<string>(0)
    const ac = new AbortController()
    const s = ch.send('m', { signal: ac.signal })
    ac.abort()
    const r = ch.recv()
    await assert.rejects(s, Canceled)
    ch.close()
    await assert.rejects(r, Closed)
  })

  // Many senders and receivers, each operation aborted at a random moment (before, during or
  // after its hand-off). Whatever the interleaving: the messages received are exactly the
  // messages whose send resolved, each once, and none whose send was canceled.
  for (const capacity of [0, 1, 16]) {
    it(`random aborts at capacity ${capacity}: received == successfully sent, no duplicates`, async function () {
      this.timeout(60000)
      let seed = 12345 + capacity
      const rand = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
      const ch = new Chan<number>(capacity)
      const sent = new Set<number>()
      const canceledSends = new Set<number>()
      const received: number[] = []
      const ops: Array<Promise<void>> = []
      const timers: Array<() => void> = []
      const abortLater = (ac: AbortController): void => {
        const r = rand()
        if (r < 0.3) return // never aborted
        if (r < 0.45) { ac.abort(); return } // synchronously, right after the call
        if (r < 0.7) { queueMicrotask(() => ac.abort()); return }
        timers.push(() => ac.abort()) // at a later tick
      }
      let next = 0
      for (let round = 0; round < 200; round++) {
        for (let i = 0; i < 4; i++) {
          const id = next++
          const ac = new AbortController()
          ops.push(ch.send(id, { signal: ac.signal }).then(() => { sent.add(id) }, (err) => {
            assert.ok(err instanceof Canceled, String(err))
            canceledSends.add(id)
          }))
          abortLater(ac)
        }
        for (let i = 0; i < 3; i++) {
          const ac = new AbortController()
          ops.push(ch.recv({ signal: ac.signal }).then(m => { received.push(m) }, (err) => {
            assert.ok(err instanceof Canceled, String(err))
          }))
          abortLater(ac)
        }
        if (round % 10 === 0) {
          await tick()
          for (const t of timers.splice(0)) t()
        }
      }
      for (const t of timers.splice(0)) t()
      // Drain: whatever is still waiting or buffered goes to plain receivers until the channel is empty.
      await tick()
      const stat = ch.stat()
      assert.equal(stat.waitingRecvers, 0)
      const pending = stat.buffered + stat.waitingSenders
      for (let i = 0; i < pending; i++) received.push(await ch.recv())
      await Promise.all(ops)
      assert.equal(ch.stat().buffered, 0)
      assert.equal(sent.size + canceledSends.size, next)
      assert.equal(new Set(received).size, received.length, 'a message was delivered twice')
      assert.deepEqual([...received].sort((a, b) => a - b), [...sent].sort((a, b) => a - b))
      assert.ok(canceledSends.size > 0 && sent.size > 0, 'the schedule exercised both outcomes')
    })
  }
})
