import assert from 'node:assert/strict'
import { clusterLimits, Subscription } from '../../src/cluster/index.js'
import { LocalCluster, waitFor, patienceMs } from './helpers.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('cluster: subscription buffer', () => {
  it('delivers in order and drops the oldest past capacity, counting drops', async () => {
    const sub = new Subscription(3)
    for (let i = 0; i < 5; i++) sub.push({ data: enc(String(i)), from: 'p' })
    assert.equal(sub.dropped, 2)
    assert.equal(sub.length, 3)
    const got: string[] = []
    for (let i = 0; i < 3; i++) got.push(dec((await sub.next())!.data))
    assert.deepEqual(got, ['2', '3', '4'])
  })

  it('a waiting next() gets the next push; close() ends iteration', async () => {
    const sub = new Subscription(1)
    const waiting = sub.next()
    sub.push({ data: enc('x'), from: 'p' })
    assert.equal(dec((await waiting)!.data), 'x')
    const pending = sub.next()
    sub.close()
    assert.equal(await pending, undefined)
    sub.push({ data: enc('late'), from: 'p' })
    assert.equal(await sub.next(), undefined)
  })

  it('rejects bad capacities', () => {
    for (const c of [0, -1, 1.5, clusterLimits.maxSubscriberBuffer + 1]) {
      assert.throws(() => new Subscription(c), { name: 'InvalidArgument' })
    }
  })
})

describe('cluster: pubsub over real nodes', function () {
  this.timeout(60_000)
  let cluster: LocalCluster
  beforeEach(() => { cluster = new LocalCluster() })
  afterEach(async () => { await cluster.stop() })

  it('round-trips messages between nodes, with the sender peer ID, and to local subscribers', async () => {
    const a = await cluster.add()
    const b = await cluster.add()
    const c = await cluster.add()
    await waitFor(() => cluster.nodes.every(n => n.ls().length === 3), patienceMs, 'convergence')
    const subB = b.pubsub.join('chat').subscribe()
    const subC = c.pubsub.join('chat').subscribe()
    const subA = a.pubsub.join('chat').subscribe()
    const wire = a.pubsub.join('chat').wireName
    assert.equal(wire, '/ww/test/topic/chat')
    // every subscriber is known as such by a node it is connected to (a's publish floods to its topic peers,
    // which relay it on)
    await waitFor(() => [b, c].every(n => cluster.nodes.some(m => m !== n &&
      m.libp2p.services.pubsub.getSubscribers(wire).some(p => p.toString() === n.peerId))) &&
      a.libp2p.services.pubsub.getSubscribers(wire).length > 0, 5_000, 'subscriptions to spread')
    await a.pubsub.join('chat').publish(enc('hello'))
    for (const [sub, name] of [[subA, 'a'], [subB, 'b'], [subC, 'c']] as const) {
      const d = await sub.next()
      assert.ok(d !== undefined, name)
      assert.equal(dec(d.data), 'hello')
      assert.equal(d.from, a.peerId)
    }
    // the other way round
    await c.pubsub.join('chat').publish(enc('back'))
    const d = await subA.next()
    assert.equal(dec(d!.data), 'back')
    assert.equal(d!.from, c.peerId)
  })

  it('topics are separate, and closing the last subscriber leaves the gossipsub topic', async () => {
    const a = await cluster.add()
    const b = await cluster.add()
    await waitFor(() => cluster.nodes.every(n => n.ls().length === 2), patienceMs, 'convergence')
    const one = b.pubsub.join('one').subscribe()
    const two = b.pubsub.join('two').subscribe()
    await waitFor(() => a.libp2p.services.pubsub.getSubscribers('/ww/test/topic/two').length === 1, patienceMs, 'subscription')
    await a.pubsub.join('two').publish(enc('for two'))
    assert.equal(dec((await two.next())!.data), 'for two')
    assert.equal(one.length, 0)
    one.close()
    two.close()
    assert.ok(!b.libp2p.services.pubsub.getTopics().includes('/ww/test/topic/two'))
  })

  it('a publish with no peers works; bad names and oversized messages are typed errors', async () => {
    const a = await cluster.add()
    await a.pubsub.join('lonely').publish(enc('anyone?'))
    assert.throws(() => a.pubsub.join(''), { name: 'InvalidArgument' })
    assert.throws(() => a.pubsub.join('has space'), { name: 'InvalidArgument' })
    await assert.rejects(a.pubsub.join('big').publish(new Uint8Array(clusterLimits.maxPubsubMessageBytes + 1)), { name: 'LimitExceeded' })
    await a.stop()
    assert.throws(() => a.pubsub.join('x'), { name: 'Closed' })
  })
})
