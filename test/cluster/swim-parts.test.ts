// SWIM's parts on their own: the message codec, the suspicion timeout, the dissemination queue, the timings.
import assert from 'node:assert/strict'
import { clusterLimits } from '../../src/cluster/limits.js'
import { Broadcasts } from '../../src/cluster/swim/broadcasts.js'
import { retransmitLimit, swimParams } from '../../src/cluster/swim/params.js'
import { Suspicion, suspicionTimeoutMs } from '../../src/cluster/swim/suspicion.js'
import { decodeMessage, encodeMessage, type SwimMessage } from '../../src/cluster/swim/wire.js'

const peer = '12D3KooWAbcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR'
const other = '12D3KooWZyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJ'

describe('cluster: SWIM parts', () => {
  it('encodes and decodes every kind of message and update', () => {
    const messages: SwimMessage[] = [
      { kind: 'ping', seq: 1, updates: [] },
      { kind: 'ack', seq: 0xffffffff, updates: [{ type: 'alive', record: new Uint8Array([1, 2, 3]) }] },
      { kind: 'ping-req', seq: 7, target: peer, updates: [{ type: 'suspect', peer, instance: 2n ** 64n - 1n, seq: 5n, from: other }] },
      { kind: 'gossip', seq: 0, updates: [{ type: 'dead', peer: other, instance: 1n, seq: 2n, from: peer }, { type: 'alive', record: new Uint8Array(300) }] },
      { kind: 'nack', seq: 9, updates: [] }
    ]
    for (const m of messages) {
      const back = decodeMessage(encodeMessage(m))
      assert.deepEqual(back, { ...m, target: m.target })
    }
    assert.equal(encodeMessage({ kind: 'ping', seq: 1, updates: [] }).byteLength, 6, 'a bare ping is 6 bytes')
  })

  it('rejects truncated, padded, unknown and oversized messages with InvalidArgument', () => {
    const good = encodeMessage({ kind: 'gossip', seq: 3, updates: [{ type: 'suspect', peer, instance: 1n, seq: 1n, from: other }] })
    const bad = [
      good.subarray(0, good.byteLength - 1),
      new Uint8Array([...good, 0]),
      new Uint8Array([9, 0, 0, 0, 0, 0]),
      new Uint8Array([4, 0, 0, 0, 0, 1, 7]),
      new Uint8Array([4, 0, 0, 0, 0, 1, 1, 0xff, 0xff, 1]),
      new Uint8Array(clusterLimits.maxSwimMessageBytes + 1)
    ]
    for (const b of bad) assert.throws(() => decodeMessage(b), { name: 'InvalidArgument' })
  })

  it('a suspicion times out at its max without confirmations and shrinks to its min at the expected count', () => {
    assert.equal(suspicionTimeoutMs(1_000, 5_000, 3, 0), 5_000)
    assert.ok(suspicionTimeoutMs(1_000, 5_000, 3, 1) < 5_000)
    assert.ok(suspicionTimeoutMs(1_000, 5_000, 3, 2) < suspicionTimeoutMs(1_000, 5_000, 3, 1))
    assert.equal(suspicionTimeoutMs(1_000, 5_000, 3, 3), 1_000)
    assert.equal(suspicionTimeoutMs(1_000, 5_000, 0, 0), 5_000, 'nobody to confirm: the longest wait')
    const s = new Suspicion({ instance: 1n, seq: 1n }, 0, 1_000, 5_000, 3, 'first')
    assert.equal(s.confirm('first'), false, 'the first suspector does not confirm itself')
    assert.equal(s.confirm('a'), true)
    assert.equal(s.confirm('a'), false, 'one confirmation per suspector')
    assert.equal(s.confirm('b'), true)
    assert.equal(s.confirm('c'), true)
    assert.equal(s.confirm('d'), false, 'no more than expected')
    assert.equal(s.deadline, 1_000)
  })

  it('sends each queued change a limited number of times, least sent first, the newest about a host only', () => {
    const q = new Broadcasts()
    q.add('p', { type: 'suspect', peer: 'p', instance: 1n, seq: 1n, from: 'x' })
    q.add('p', { type: 'dead', peer: 'p', instance: 1n, seq: 1n, from: 'x' })
    q.add('r', { type: 'alive', record: new Uint8Array(10) })
    const first = q.take(1_000, 2)
    assert.equal(first.length, 2)
    assert.ok(first.some(u => u.type === 'dead') && !first.some(u => u.type === 'suspect'))
    assert.equal(q.take(1_000, 2).length, 2)
    assert.equal(q.take(1_000, 2).length, 0, 'each sent twice, then gone')
    q.add('big', { type: 'alive', record: new Uint8Array(5_000) })
    assert.equal(q.take(100, 1).length, 1, 'a change larger than the budget still goes alone')
    q.add('me', { type: 'alive', record: new Uint8Array(10) })
    assert.deepEqual(q.take(1_000, 1, 'me'), [], 'a host is not sent its own record')
    assert.equal(q.take(1_000, 1, 'other').length, 1, 'the others are')
    q.add('me', { type: 'suspect', peer: 'me', instance: 1n, seq: 1n, from: 'x' })
    q.add('z', { type: 'alive', record: new Uint8Array(10) })
    assert.equal(q.take(1_000, 1, 'me')[0].type, 'suspect', 'a claim about a host goes to it first')
    assert.equal(retransmitLimit(4, 1_000), 16)
    assert.equal(retransmitLimit(4, 10_000), 20)
  })

  it('derives its timings from the TTL, the TTL bounding detection', () => {
    const p = swimParams(10_000)
    assert.equal(p.probeIntervalMs, 1_000)
    assert.equal(p.probeTimeoutMs, 500)
    assert.equal(p.suspicionMinMs, 1_000)
    assert.equal(p.suspicionMaxMs, 5_000)
    assert.ok(p.suspicionMaxMs + 4 * p.probeIntervalMs < 10_000)
    const short = swimParams(1_000)
    assert.ok(short.suspicionMinMs <= short.suspicionMaxMs)
  })
})
