// The console's rates (ui/rates.ts): counters of two answers differenced over the node's own clock.
import assert from 'node:assert/strict'
import { ratesBetween, type Counters } from '../../ui/rates.js'

const at = (atMs: number, msgsIn: number, calls: Record<string, number>, errors: Record<string, number> = {}): Counters =>
  ({ atMs, msgsIn, msgsOut: msgsIn / 2, calls: new Map(Object.entries(calls)), errors: new Map(Object.entries(errors)) })

describe('console rates (ratesBetween)', function () {
  it('gives per-second rates over the interval between the two answers, methods busiest first', function () {
    const r = ratesBetween(at(10_000, 100, { 'Host.peer': 10, 'Sender.send': 5 }), at(12_000, 140, { 'Host.peer': 12, 'Sender.send': 25, 'View.ls': 1 }, { 'Sender.send': 4 }))
    assert.ok(r !== undefined)
    assert.equal(r.intervalMs, 2000)
    assert.equal(r.msgsIn, 20)
    assert.equal(r.msgsOut, 10)
    assert.equal(r.calls, 11.5)
    assert.equal(r.errors, 2)
    assert.deepEqual(r.methods, [{ method: 'Sender.send', calls: 10, errors: 2 }, { method: 'Host.peer', calls: 1, errors: 0 }, { method: 'View.ls', calls: 0.5, errors: 0 }])
  })

  it('leaves out methods not called in the interval', function () {
    const r = ratesBetween(at(0, 0, { 'Host.peer': 3 }), at(1000, 0, { 'Host.peer': 3, 'Host.info': 1 }))
    assert.deepEqual(r?.methods.map(m => m.method), ['Host.info'])
  })

  it('has no rates when a counter went down (the host restarted) or the clock did not move', function () {
    assert.equal(ratesBetween(at(0, 50, { 'Host.peer': 3 }), at(1000, 2, { 'Host.peer': 4 })), undefined)
    assert.equal(ratesBetween(at(0, 0, { 'Host.peer': 3 }), at(1000, 0, { 'Host.peer': 1 })), undefined)
    assert.equal(ratesBetween(at(1000, 0, {}), at(1000, 1, {})), undefined)
  })
})
