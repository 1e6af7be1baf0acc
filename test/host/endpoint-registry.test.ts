// A host's endpoint registry, the names its record lists, and the revocable senders it hands out (in process).
import assert from 'node:assert/strict'
import { clusterLimits } from '../../src/cluster/index.js'
import { AdvertisedNames } from '../../src/host/advertised-names.js'
import { EndpointRegistry } from '../../src/host/endpoint-registry.js'
import { hostLimits } from '../../src/host/limits.js'
import { SenderClient } from '../../src/schema/channel.rpc.js'
import { eventually } from '../waiting.js'

/** A Sender that records what it is sent, and whether it was released. */
function inbox (): { sender: SenderClient, got: string[], released: () => boolean } {
  const got: string[] = []
  let released = false
  const sender = SenderClient.serve({
    send (params) { got.push(new TextDecoder().decode(params.msg.data.toUint8Array())) },
    [Symbol.dispose] () { released = true }
  })
  return { sender, got, released: () => released }
}

async function send (s: SenderClient, text: string): Promise<void> {
  using ans = s.send(p => { const b = new TextEncoder().encode(text); p._initMsg()._initData(b.byteLength).copyBuffer(b) })
  await ans
}

describe('host: endpoint registry', () => {
  it('tells the set of names when it changes, replaces a proc\'s endpoint under the same name, ends a proc\'s with it', () => {
    const told: string[] = []
    const r = new EndpointRegistry(names => { told.push(names.join(',')) })
    const a = r.publish('svc', 7, inbox().sender)
    r.publish('svc', 8, inbox().sender)
    r.publish('other', 7, inbox().sender)
    assert.deepEqual(told, ['svc', 'other,svc'])
    const again = r.publish('svc', 7, inbox().sender)
    assert.notEqual(again.id, a.id)
    assert.deepEqual(r.list('svc').map(e => e.pid).sort(), [7, 8])
    r.endProc(7)
    assert.deepEqual(r.list('svc').map(e => e.pid), [8])
    assert.deepEqual(told, ['svc', 'other,svc', 'svc'])
    assert.equal(r.unpublish('svc', r.list('svc')[0].id), true)
    assert.equal(r.unpublish('svc', 999n), false)
    assert.deepEqual(told.at(-1), '')
    r.close()
  })

  it('refuses bad names and more names or endpoints than its limits, releasing what it was given', () => {
    const r = new EndpointRegistry(() => {})
    const bad = inbox()
    assert.throws(() => r.publish('a b', 1, bad.sender), { name: 'InvalidArgument', message: /bad endpoint name/ })
    assert.equal(bad.released(), true)
    for (let i = 0; i < clusterLimits.maxEndpointNames; i++) r.publish(`n${i}`, 1, inbox().sender)
    const over = inbox()
    assert.throws(() => r.publish('one-more', 1, over.sender), { name: 'LimitExceeded', message: /maxEndpointNames/ })
    assert.equal(over.released(), true)
    r.publish('n0', 2, inbox().sender) // a name already served takes more endpoints
    for (let i = 1; i < hostLimits.maxEndpointsPerName; i++) r.publish('n1', 0, inbox().sender)
    assert.throws(() => r.publish('n1', 0, inbox().sender), { name: 'LimitExceeded', message: /maxEndpointsPerName/ })
    r.close()
  })

  it('hands out a sender that forwards until the endpoint ends, then fails Closed and lets go of the channel', async () => {
    const r = new EndpointRegistry(() => {})
    const target = inbox()
    const e = r.publish('svc', 3, target.sender)
    const held = e.sender.dup()
    await send(held, 'one')
    assert.deepEqual(target.got, ['one'])
    r.endProc(3)
    await assert.rejects(send(held, 'two'), { name: 'Closed', message: 'endpoint svc (proc 3) ended' })
    assert.deepEqual(target.got, ['one'])
    await eventually('the channel released', () => target.released())
    held.release()
    r.close()
  })
})

describe('host: the names a record lists', () => {
  it('signs a new name at once and drops a name only after the linger, unless it comes back', async () => {
    let served: string[] = []
    const signed: string[] = []
    const names = new AdvertisedNames(n => { signed.push(n.join(',')) }, () => served, 50)
    served = ['a']
    names.changed()
    assert.deepEqual(signed, ['a'])
    served = []
    names.changed()
    served = ['a'] // back before the linger ran out: nothing to sign
    names.changed()
    await new Promise(resolve => setTimeout(resolve, 120))
    assert.deepEqual(signed, ['a'])
    served = []
    names.changed()
    assert.deepEqual(signed, ['a'])
    await eventually('the name dropped', () => signed.length === 2)
    assert.deepEqual(signed, ['a', ''])
    names.close()
  })
})
