import assert from 'node:assert/strict'
import { Chan } from '../../src/csp/chan.js'
import { Closed } from '../../src/errors.js'

interface Msg { from: number, seq: number }

async function runMatrix (capacity: number, nSenders: number, nRecvers: number, perSender: number): Promise<Msg[][]> {
  const ch = new Chan<Msg>(capacity)
  const received: Msg[][] = Array.from({ length: nRecvers }, () => [])
  const recvers = received.map(async (into) => {
    for (;;) {
      try {
        into.push(await ch.recv())
      } catch (err) {
        assert.ok(err instanceof Closed, `receiver ended with ${String(err)}`)
        return
      }
    }
  })
  const senders = Array.from({ length: nSenders }, async (_, from) => {
    for (let seq = 0; seq < perSender; seq++) await ch.send({ from, seq })
  })
  await Promise.all(senders)
  ch.close()
  await Promise.all(recvers)
  const stat = ch.stat()
  assert.deepEqual(stat, { capacity, buffered: 0, waitingSenders: 0, waitingRecvers: 0, closed: true })
  return received
}

describe('csp: channel matrix', function () {
  this.timeout(60000)
  const perSender = 500
  for (const capacity of [0, 1, 16]) {
    for (const [nSenders, nRecvers] of [[1, 1], [8, 8]]) {
      it(`capacity ${capacity}, ${nSenders} senders x ${nRecvers} receivers: FIFO per sender, no loss, no duplicates`, async () => {
        const received = await runMatrix(capacity, nSenders, nRecvers, perSender)
        // No loss, no duplicates: every (from, seq) exactly once across all receivers.
        const seen = new Set<string>()
        for (const list of received) {
          for (const m of list) {
            const key = `${m.from}:${m.seq}`
            assert.ok(!seen.has(key), `duplicate ${key}`)
            seen.add(key)
          }
        }
        assert.equal(seen.size, nSenders * perSender)
        // FIFO per sender: each receiver sees any one sender's messages in increasing order.
        for (const list of received) {
          const last = new Map<number, number>()
          for (const m of list) {
            assert.ok((last.get(m.from) ?? -1) < m.seq, `sender ${m.from} out of order: ${m.seq} after ${last.get(m.from)}`)
            last.set(m.from, m.seq)
          }
        }
        if (nRecvers === 1 && nSenders === 1) {
          assert.deepEqual(received[0].map(m => m.seq), Array.from({ length: perSender }, (_, i) => i))
        }
        if (nRecvers > 1) {
          // Fairness: with many receivers waiting in turn, every one of them gets messages.
          for (const list of received) assert.ok(list.length > 0, 'a receiver starved')
        }
      })
    }
  }

  it('is fair to senders: waiting senders complete in arrival order', async () => {
    const ch = new Chan<number>(1)
    await ch.send(0)
    const done: number[] = []
    const sends = [1, 2, 3, 4].map(async n => { await ch.send(n); done.push(n) })
    assert.equal(ch.stat().waitingSenders, 4)
    const got: number[] = []
    for (let i = 0; i < 5; i++) got.push(await ch.recv())
    await Promise.all(sends)
    assert.deepEqual(got, [0, 1, 2, 3, 4])
    assert.deepEqual(done, [1, 2, 3, 4])
  })

  it('is fair to receivers: waiting receivers are served in arrival order', async () => {
    const ch = new Chan<number>(0)
    const order: string[] = []
    const recvs = ['a', 'b', 'c'].map(async name => { order.push(`${name}=${await ch.recv()}`) })
    for (const n of [1, 2, 3]) await ch.send(n)
    await Promise.all(recvs)
    assert.deepEqual(order, ['a=1', 'b=2', 'c=3'])
  })

  it('capacity 0 is a rendezvous: send completes only when a receiver takes the message', async () => {
    const ch = new Chan<string>(0)
    let sent = false
    const p = ch.send('x').then(() => { sent = true })
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(sent, false)
    assert.equal(ch.stat().waitingSenders, 1)
    assert.equal(await ch.recv(), 'x')
    await p
    assert.equal(sent, true)
  })

  it('a full buffer holds senders back until a receiver makes room (backpressure)', async () => {
    const ch = new Chan<number>(4)
    for (let i = 0; i < 4; i++) await ch.send(i)
    let fifthDone = false
    const fifth = ch.send(4).then(() => { fifthDone = true })
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(fifthDone, false)
    assert.deepEqual(ch.stat(), { capacity: 4, buffered: 4, waitingSenders: 1, waitingRecvers: 0, closed: false })
    assert.equal(await ch.recv(), 0)
    await fifth
    assert.equal(ch.stat().buffered, 4)
  })
})
