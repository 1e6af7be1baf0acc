// Membership integrity against a hostile peer speaking table sync: replayed heartbeats, forged leaves, floods.
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { clusterTopic, verifySignedMessage, type ClusterNode } from '../../src/cluster/index.js'
import { fakeHost, handOver, signHeartbeat, targetOf } from './hand-over.js'
import { LocalCluster, peersOf, waitFor, patienceMs } from './helpers.js'

const quiet = { maxMemberDials: 0, dht: false }
/** A peer that never joins the cluster under test: its own namespace, no bootstrap. */
const outsider = { ...quiet, namespace: 'outsider', bootstrap: [] }

/** The signed heartbeat of `author` that `holder` would hand on in a table sync. */
async function recordOf (holder: ClusterNode, author: string): Promise<Uint8Array> {
  for (const r of holder.membership.signedRecords()) {
    const msg = await verifySignedMessage(r.message, clusterTopic(holder.namespace))
    if (msg?.from.toString() === author) return r.message
  }
  throw new Error(`${holder.peerId} holds no heartbeat of ${author}`)
}

describe('cluster: membership integrity against a hostile table sync', function () {
  this.timeout(120_000)
  let cluster: LocalCluster

  beforeEach(() => { cluster = new LocalCluster() })
  afterEach(async () => { await cluster.stop() })

  it('a stopped host\'s old signed heartbeat, replayed with an age of 0, does not bring it back', async () => {
    // Short TTL and skew allowance, so the replay is old (past issue + TTL + skew) within seconds.
    const ttlMs = 1_000
    const maxClockSkewMs = 500
    const a = await cluster.add({ ...quiet, ttlMs, maxClockSkewMs })
    const b = await cluster.add({ ...quiet, ttlMs, maxClockSkewMs })
    await waitFor(() => peersOf(a).includes(b.peerId), patienceMs, 'a to list b')
    const replay = await recordOf(a, b.peerId)
    await b.stop()
    await waitFor(() => !peersOf(a).includes(b.peerId), patienceMs, 'a to drop b')
    // Past the time a remembers b's boot (2 TTLs), and past issue + TTL + skew of any heartbeat b sent.
    await new Promise(resolve => setTimeout(resolve, 2 * ttlMs + maxClockSkewMs + 500))

    const attacker = await cluster.add(outsider)
    // A fresh fake host handed over after the replay: once a lists it, a has applied the replay too.
    const marker = await fakeHost(a.namespace, 'marker')
    await handOver(attacker, targetOf(a), [{ ageMs: 0, message: replay }, { ageMs: 0, message: marker.message }])
    await waitFor(() => peersOf(a).includes(marker.peer), patienceMs, 'a to apply the records handed over')
    assert.ok(!peersOf(a).includes(b.peerId), 'the dead host is not listed again')
  })

  it('a forged leaving heartbeat for another peer is ignored', async () => {
    const a = await cluster.add(quiet)
    const b = await cluster.add(quiet)
    await waitFor(() => peersOf(a).includes(b.peerId), patienceMs, 'a to list b')
    const attackerKey = await generateKeyPair('Ed25519')
    const victim = a.lookup(b.peerId)!
    const leave = { instance: victim.instance, hostname: victim.hostname, meta: [], ttlMs: victim.ttlMs, addrs: [], leaving: true, issuedAtMs: Date.now() }
    // b's peer ID as the author, signed by another key.
    const forged = await signHeartbeat(a.namespace, b.libp2p.peerId, leave, victim.seq + 1000n, attackerKey)
    const marker = await fakeHost(a.namespace, 'marker')
    const attacker = await cluster.add(outsider)
    await handOver(attacker, targetOf(a), [{ ageMs: 0, message: forged }, { ageMs: 0, message: marker.message }])
    await waitFor(() => peersOf(a).includes(marker.peer), patienceMs, 'a to apply the records handed over')
    assert.ok(peersOf(a).includes(b.peerId), 'b is still listed')
    assert.equal(a.lookup(b.peerId)?.instance, victim.instance)
  })
})
