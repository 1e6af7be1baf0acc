// Every leave the routing table reports says how the host left: the node's log lines depend on it.
import assert from 'node:assert/strict'
import { RoutingTable, type Heartbeat, type LeaveHow } from '../../src/cluster/index.js'

let clock = 1_000_000
const hb = (over: Partial<Heartbeat> = {}): Heartbeat =>
  ({ instance: 1n, hostname: 'h', meta: [], ttlMs: 1_000, addrs: [], leaving: false, issuedAtMs: clock, ...over })

describe('cluster: how a host left', () => {
  it('a leaving heartbeat is "left", a passed TTL "expired", a new instance "restarted", removeLocal "left"', () => {
    const table = new RoutingTable({ now: () => clock, autoExpire: false })
    const how: string[] = []
    table.watch(e => { if (e.type === 'leave') how.push(`${e.record.peer}:${e.how satisfies LeaveHow}`) })
    table.apply('a', 1n, hb())
    table.apply('a', 2n, hb({ leaving: true }))
    table.apply('b', 1n, hb())
    clock += 1_000
    table.sweep()
    table.apply('c', 1n, hb({ instance: 1n }))
    table.apply('c', 1n, hb({ instance: 2n }))
    table.setLocal({ peer: 'self', instance: 1n, seq: 1n, hostname: 'h', meta: [], addrs: [], ttlMs: 1_000, lastSeenMs: clock })
    table.removeLocal('self')
    assert.deepEqual(how, ['a:left', 'b:expired', 'c:restarted', 'self:left'])
    table.close()
  })
})
