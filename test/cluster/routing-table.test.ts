import assert from 'node:assert/strict'
import { RoutingTable, type Heartbeat, type MembershipEvent } from '../../src/cluster/index.js'
import { eventually } from '../waiting.js'

let clock: number
/** A heartbeat issued now by the test's clock. */
function hb (over: Partial<Heartbeat> = {}): Heartbeat {
  return { instance: 1n, hostname: 'h', meta: [], ttlMs: 1_000, addrs: [], leaving: false, issuedAtMs: clock, ...over }
}

describe('cluster: routing table', () => {
  let table: RoutingTable
  let events: string[]
  beforeEach(() => {
    clock = 1_000_000
    table = new RoutingTable({ now: () => clock, autoExpire: false })
    events = []
    table.watch((e: MembershipEvent) => events.push(`${e.type}:${e.record.peer}:${e.record.instance}`))
  })
  afterEach(() => { table.close() })

  it('joins, updates on newer seq, ignores stale and duplicate seq', () => {
    assert.equal(table.apply('p', 5n, hb()), 'joined')
    assert.equal(table.apply('p', 5n, hb({ hostname: 'dup' })), 'stale')
    assert.equal(table.apply('p', 4n, hb({ hostname: 'old' })), 'stale')
    assert.equal(table.lookup('p')?.hostname, 'h')
    assert.equal(table.apply('p', 6n, hb({ hostname: 'new' })), 'updated')
    assert.equal(table.lookup('p')?.hostname, 'new')
    assert.equal(table.lookup('p')?.seq, 6n)
    assert.deepEqual(events, ['join:p:1', 'update:p:1'])
  })

  it('a refresh without changes emits no event but extends the deadline', () => {
    table.apply('p', 1n, hb())
    clock += 900
    assert.equal(table.apply('p', 2n, hb()), 'updated')
    clock += 900
    assert.ok(table.lookup('p') !== undefined)
    assert.deepEqual(events, ['join:p:1'])
  })

  it('expires a host whose TTL passed', () => {
    table.apply('p', 1n, hb({ ttlMs: 1_000 }))
    table.apply('q', 1n, hb({ ttlMs: 5_000 }))
    clock += 999
    assert.deepEqual(table.ls().map(r => r.peer), ['p', 'q'])
    clock += 1
    assert.deepEqual(table.ls().map(r => r.peer), ['q'])
    assert.deepEqual(events, ['join:p:1', 'join:q:1', 'leave:p:1'])
  })

  it('a new instance replaces the old at once, even with a lower seq; the old instance stays stale', () => {
    table.apply('p', 100n, hb({ instance: 1n }))
    assert.equal(table.apply('p', 3n, hb({ instance: 2n })), 'joined')
    assert.equal(table.lookup('p')?.instance, 2n)
    assert.equal(table.apply('p', 101n, hb({ instance: 1n })), 'stale')
    assert.equal(table.lookup('p')?.instance, 2n)
    assert.deepEqual(events, ['join:p:1', 'leave:p:1', 'join:p:2'])
  })

  it('a leaving heartbeat drops the host; late heartbeats of that boot stay stale', () => {
    table.apply('p', 1n, hb())
    table.apply('p', 2n, hb())
    assert.equal(table.apply('p', 3n, hb({ leaving: true })), 'left')
    assert.equal(table.lookup('p'), undefined)
    assert.equal(table.apply('p', 2n, hb()), 'stale')
    assert.equal(table.lookup('p'), undefined)
    assert.equal(table.apply('q', 1n, hb({ leaving: true })), 'unchanged')
    assert.deepEqual(events, ['join:p:1', 'leave:p:1'])
  })

  it('a heartbeat lives at most until its signed issue time + TTL + skew, whatever age it is handed on with', () => {
    const skewed = new RoutingTable({ now: () => clock, autoExpire: false, maxClockSkewMs: 500 })
    // Issued 1,600 ms ago with a TTL of 1,000 ms: past 1,000 + 500 even at an age of 0.
    assert.equal(skewed.apply('old', 1n, hb({ issuedAtMs: clock - 1_600 })), 'stale')
    // Issued 1,200 ms ago, handed on as brand new: it lives only the 300 ms left of issue + TTL + skew.
    assert.equal(skewed.apply('p', 1n, hb({ issuedAtMs: clock - 1_200 })), 'joined')
    clock += 299
    assert.ok(skewed.lookup('p') !== undefined)
    clock += 1
    assert.equal(skewed.lookup('p'), undefined)
    // A reported age still shortens the life; an issue time beyond the skew in the future is refused.
    assert.equal(skewed.apply('q', 1n, hb(), 900), 'joined')
    clock += 100
    assert.equal(skewed.lookup('q'), undefined)
    assert.equal(skewed.apply('r', 1n, hb({ issuedAtMs: clock + 501 })), 'stale')
    assert.equal(skewed.apply('r', 1n, hb({ issuedAtMs: clock + 500 })), 'joined')
    skewed.close()
  })

  it('ls filters by every where pair and sorts by peer; bad pairs are InvalidArgument', () => {
    table.apply('c', 1n, hb({ meta: ['zone=eu', 'gpu=yes'] }))
    table.apply('a', 1n, hb({ meta: ['zone=eu'] }))
    table.apply('b', 1n, hb({ meta: ['zone=us', 'gpu=yes'] }))
    assert.deepEqual(table.ls().map(r => r.peer), ['a', 'b', 'c'])
    assert.deepEqual(table.ls(['zone=eu']).map(r => r.peer), ['a', 'c'])
    assert.deepEqual(table.ls(['gpu=yes', 'zone=eu']).map(r => r.peer), ['c'])
    assert.deepEqual(table.ls(['zone=e']).map(r => r.peer), [])
    assert.throws(() => table.ls(['=x']), { name: 'InvalidArgument' })
    assert.throws(() => table.ls(['zone']), { name: 'InvalidArgument' })
  })

  it('the local record never expires and is dropped by removeLocal', () => {
    table.setLocal({ peer: 'me', instance: 9n, seq: 1n, hostname: 'h', meta: [], addrs: [], ttlMs: 1_000, lastSeenMs: 0 })
    clock += 10_000_000
    assert.deepEqual(table.ls().map(r => r.peer), ['me'])
    table.removeLocal('me')
    assert.deepEqual(table.ls(), [])
  })

  it('tracks at most maxHosts peers', () => {
    const small = new RoutingTable({ now: () => clock, autoExpire: false, maxHosts: 2 })
    assert.equal(small.apply('a', 1n, hb()), 'joined')
    assert.equal(small.apply('b', 1n, hb()), 'joined')
    assert.equal(small.apply('c', 1n, hb()), 'refused')
    clock += 10_000 // a and b expired and were forgotten
    assert.equal(small.apply('c', 1n, hb()), 'joined')
    small.close()
  })

  it('a peer vouches for at most maxVouchedPerPeer new hosts; hearing a host directly frees its place', () => {
    const t = new RoutingTable({ now: () => clock, autoExpire: false, maxVouchedPerPeer: 2 })
    assert.equal(t.apply('a', 1n, hb(), 0, 'x'), 'joined')
    assert.equal(t.apply('b', 1n, hb(), 0, 'x'), 'joined')
    assert.equal(t.wants('c', 1n, 'x'), false, 'not worth a signature check')
    assert.equal(t.apply('c', 1n, hb(), 0, 'x'), 'refused')
    assert.equal(t.apply('c', 1n, hb(), 0, 'y'), 'joined', 'another peer has its own quota')
    assert.equal(t.apply('a', 2n, hb(), 0, 'y'), 'updated', 'a listed host is updated by anyone')
    assert.ok(t.isVouched('a'))
    assert.equal(t.apply('a', 3n, hb()), 'updated')
    assert.equal(t.isVouched('a'), false, 'heard directly')
    assert.equal(t.vouchedBy('x'), 1)
    assert.equal(t.apply('c2', 1n, hb(), 0, 'x'), 'joined')
    clock += 1_000 // all expire: the quota is free again
    assert.equal(t.apply('d', 1n, hb(), 0, 'x'), 'joined')
    assert.equal(t.vouchedBy('x'), 1)
    t.close()
  })

  it('the same record heard directly ends a vouching, once, without an event', () => {
    const t = new RoutingTable({ now: () => clock, autoExpire: false })
    const seen: string[] = []
    t.watch(e => seen.push(e.type))
    assert.equal(t.apply('a', 4n, hb(), 0, 'x'), 'joined')
    assert.equal(t.wants('a', 4n, 'y'), false, 'handed on again: nothing to change')
    assert.equal(t.apply('a', 4n, hb(), 0, 'y'), 'stale')
    assert.equal(t.apply('a', 3n, hb()), 'stale', 'an older record heard directly does not count')
    assert.ok(t.isVouched('a'))
    assert.equal(t.wants('a', 4n), true, 'heard directly: worth a signature check')
    assert.equal(t.apply('a', 4n, hb()), 'unchanged')
    assert.equal(t.isVouched('a'), false)
    assert.equal(t.vouchedBy('x'), 0)
    assert.equal(t.wants('a', 4n), false)
    assert.equal(t.apply('a', 4n, hb()), 'stale')
    assert.deepEqual(seen, ['join'])
    t.close()
  })

  it('a full table lets a host heard directly push out one vouched for, never the other way', () => {
    const t = new RoutingTable({ now: () => clock, autoExpire: false, maxHosts: 3 })
    t.apply('real', 1n, hb())
    t.apply('f1', 1n, hb(), 0, 'x')
    t.apply('f2', 1n, hb(), 0, 'x')
    assert.equal(t.apply('f3', 1n, hb(), 0, 'y'), 'refused')
    assert.equal(t.apply('late', 1n, hb()), 'joined')
    assert.deepEqual(t.ls().map(r => r.peer).filter(p => !p.startsWith('f')), ['late', 'real'])
    assert.equal(t.size, 3)
    assert.equal(t.vouchedBy('x'), 1)
    t.close()
  })

  it('evicts on its own timer', async () => {
    const live = new RoutingTable()
    const left: string[] = []
    live.watch(e => { if (e.type === 'leave') left.push(e.record.peer) })
    live.apply('p', 1n, hb({ ttlMs: 150, issuedAtMs: Date.now() }))
    live.apply('q', 1n, hb({ ttlMs: 300, issuedAtMs: Date.now() }))
    assert.deepEqual(left, [], 'nothing expires before its TTL')
    await eventually('both to expire', () => left.length === 2, 10_000)
    assert.deepEqual(left, ['p', 'q'])
    live.close()
  })
})
