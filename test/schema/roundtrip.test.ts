import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import { Heartbeat } from '../../src/schema/cluster.js'
import { ExitReason, Limits } from '../../src/schema/proc.js'
import { SpawnRequest } from '../../src/schema/executor.js'

function reread<T extends capnp.Struct> (msg: capnp.Message, type: capnp.StructCtor<T>): T {
  const bytes = msg.toArrayBuffer()
  return new capnp.Message(bytes, false).getRoot(type)
}

describe('schema: generated code', () => {
  it('round-trips a heartbeat through its wire form', () => {
    const msg = new capnp.Message()
    const hb = msg.initRoot(Heartbeat)
    hb.instance = 0xfedcba9876543210n
    hb.hostname = 'node-a'
    hb.ttlMs = 10_000
    const meta = hb._initMeta(2)
    meta.set(0, 'zone=eu')
    meta.set(1, 'gpu=none')
    const addrs = hb._initAddrs(1)
    addrs.set(0, '/ip4/127.0.0.1/tcp/4001')
    hb.leaving = true

    const back = reread(msg, Heartbeat)
    assert.equal(back.instance, 0xfedcba9876543210n)
    assert.equal(back.hostname, 'node-a')
    assert.equal(back.ttlMs, 10_000)
    assert.deepEqual([...back.meta], ['zone=eu', 'gpu=none'])
    assert.deepEqual([...back.addrs], ['/ip4/127.0.0.1/tcp/4001'])
    assert.equal(back.leaving, true)
  })

  it('round-trips nested structs, lists and enums', () => {
    const msg = new capnp.Message()
    const req = msg.initRoot(SpawnRequest)
    req.name = 'hello'
    const args = req._initArgs(3)
    ;['a', 'b c', ''].forEach((a, i) => args.set(i, a))
    const limits: Limits = req._initLimits()
    limits.memoryBytes = 64n * 1024n * 1024n
    limits.fuel = 1_000_000n
    const mod = req._initModule()
    mod._initHash(32).copyBuffer(new Uint8Array(32).fill(7))

    const back = reread(msg, SpawnRequest)
    assert.equal(back.name, 'hello')
    assert.deepEqual([...back.args], ['a', 'b c', ''])
    assert.equal(back.limits.memoryBytes, 64n * 1024n * 1024n)
    assert.equal(back.limits.fuel, 1_000_000n)
    assert.equal(back.limits.timeoutMs, 0n)
    assert.ok(back.module._isHash)
    assert.deepEqual(Array.from(back.module.hash.toUint8Array()), new Array(32).fill(7))
    assert.equal(ExitReason.OUT_OF_FUEL, 2)
  })

  it('rejects a truncated message instead of reading garbage', () => {
    const msg = new capnp.Message()
    msg.initRoot(Heartbeat).hostname = 'x'.repeat(100)
    const bytes = new Uint8Array(msg.toArrayBuffer())
    const cut = bytes.slice(0, 24)
    assert.throws(() => new capnp.Message(cut.buffer, false).getRoot(Heartbeat).hostname)
  })
})
