import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { SignedMessage } from '@libp2p/gossipsub'
import { RPC } from '@libp2p/gossipsub/message'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { concat } from 'uint8arrays/concat'
import { fromString } from 'uint8arrays/from-string'
import { encodeHeartbeat } from '../../src/caps/heartbeat.js'
import { clusterLimits, clusterTopic, encodeSignedMessage, verifySignedMessage, type Heartbeat } from '../../src/cluster/index.js'
import { nextRoundDelayMs, syncRoundMaxMs } from '../../src/cluster/table-sync.js'
import { LocalCluster, peersOf, waitFor, patienceMs } from './helpers.js'

const topic = clusterTopic('test')

/** A pubsub message signed the way gossipsub signs (prefix + protobuf without signature and key). */
async function sign (key: PrivateKey, data: Uint8Array, seq: bigint, signer: PrivateKey = key): Promise<Uint8Array> {
  const from = peerIdFromPrivateKey(key).toMultihash().bytes
  const seqno = new Uint8Array(8)
  new DataView(seqno.buffer).setBigUint64(0, seq, false)
  const signature = await signer.sign(concat([fromString('libp2p-pubsub:'), RPC.Message.encode({ from, data, seqno, topic })]))
  return RPC.Message.encode({ from, data, seqno, topic, signature })
}

function heartbeat (hostname: string): Heartbeat {
  return { instance: 7n, hostname, meta: [], ttlMs: 30_000, addrs: [], leaving: false, issuedAtMs: Date.now() }
}

describe('cluster: signed heartbeats', () => {
  it('verifies a signed message and re-encodes it to the same bytes', async () => {
    const key = await generateKeyPair('Ed25519')
    const bytes = await sign(key, encodeHeartbeat(heartbeat('h1')), 42n)
    const msg = await verifySignedMessage(bytes, topic) as SignedMessage
    assert.equal(msg.from.toString(), peerIdFromPrivateKey(key).toString())
    assert.equal(msg.sequenceNumber, 42n)
    assert.deepEqual(encodeSignedMessage(msg), bytes)
  })

  it('rejects tampered data, a signature by another key, another topic and garbage', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const good = RPC.Message.decode(await sign(key, encodeHeartbeat(heartbeat('h1')), 1n))
    const tampered = RPC.Message.encode({ ...good, data: encodeHeartbeat(heartbeat('evil')) })
    await assert.rejects(verifySignedMessage(tampered, topic), { name: 'InvalidArgument' })
    const forged = await sign(key, encodeHeartbeat(heartbeat('h1')), 1n, other)
    await assert.rejects(verifySignedMessage(forged, topic), { name: 'InvalidArgument' })
    await assert.rejects(verifySignedMessage(RPC.Message.encode(good), clusterTopic('elsewhere')), { name: 'InvalidArgument' })
    await assert.rejects(verifySignedMessage(new Uint8Array([0xff, 0xff, 0xff]), topic), { name: 'InvalidArgument' })
  })

  it('does not check the signature of a message the caller does not want', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const forged = await sign(key, encodeHeartbeat(heartbeat('h1')), 1n, other)
    assert.equal(await verifySignedMessage(forged, topic, () => false), undefined)
  })
})

describe('cluster: anti-entropy schedule', () => {
  const { syncRoundMinMs: min, syncSettleMs: settle, syncRepairMs: repair } = clusterLimits
  it('short rounds right after a join, and after it while rounds find tables that differ, up to syncRepairMs', () => {
    assert.equal(nextRoundDelayMs(4_000, settle - 1, false, 20), min, 'settling after a join')
    assert.equal(nextRoundDelayMs(min, settle, false, 20), 2 * min, 'tables agree: back off')
    assert.equal(nextRoundDelayMs(min, settle, true, 20), min, 'tables differ: ask again soon')
    assert.equal(nextRoundDelayMs(min, repair - 1, true, 20), min)
    assert.equal(nextRoundDelayMs(min, repair, true, 20), 2 * min, 'past syncRepairMs a difference no longer hurries')
    assert.equal(nextRoundDelayMs(syncRoundMaxMs(20), repair, true, 20), syncRoundMaxMs(20))
    assert.equal(nextRoundDelayMs(syncRoundMaxMs(20), repair, false, 1_000), 2 * syncRoundMaxMs(20), 'the cap grows with the cluster')
  })
})

describe('cluster: table sync over real nodes on 127.0.0.1', function () {
  this.timeout(60_000)
  let cluster: LocalCluster

  beforeEach(() => { cluster = new LocalCluster() })
  afterEach(async () => { await cluster.stop() })

  it('a newcomer learns a host it is not connected to from its bootstrap peer\'s table', async () => {
    // A long TTL: b publishes no periodic heartbeat during the test, so c can only learn of b through a.
    const a = await cluster.add({ ttlMs: 60_000, maxMemberDials: 0, dht: false })
    const b = await cluster.add({ ttlMs: 60_000, maxMemberDials: 0, dht: false })
    await waitFor(() => a.ls().length === 2 && b.ls().length === 2, patienceMs, 'a and b to converge')
    const c = await cluster.add({ ttlMs: 60_000, maxMemberDials: 0, dht: false })
    // Looked at the moment c lists b: SWIM may connect c to b later, to probe it.
    let connectedToB = true
    await waitFor(() => {
      if (peersOf(c).length !== 3) return false
      connectedToB = c.libp2p.getConnections(b.libp2p.peerId).length > 0
      return true
    }, patienceMs, 'c to list all three')
    assert.equal(connectedToB, false, 'c is not connected to b')
    assert.ok(c.membership.stats.synced >= 1, `records applied from sync: ${c.membership.stats.synced}`)
    assert.equal(c.lookup(b.peerId)?.instance, b.membership.instance)
  })

  it('a leave that reached one host reaches the others through table sync, not after the TTL', async () => {
    const a = await cluster.add({ maxMemberDials: 0, dht: false })
    const b = await cluster.add({ maxMemberDials: 0, dht: false })
    await waitFor(() => a.ls().length === 2 && b.ls().length === 2, patienceMs, 'a and b to converge')
    // A host that only a and b know of (its heartbeats handed over, never gossiped); its TTL is 30 s.
    const gone = await generateKeyPair('Ed25519')
    const goneId = peerIdFromPrivateKey(gone).toString()
    const joined = await sign(gone, encodeHeartbeat(heartbeat('gone')), 1n)
    for (const n of [a, b]) assert.equal(await n.membership.applySigned({ ageMs: 0, message: joined }), 'joined')
    // Its leave reaches a alone (as when gossip missed b): b hears of it at a's next table exchange.
    const left = await sign(gone, encodeHeartbeat({ ...heartbeat('gone'), leaving: true }), 2n)
    assert.equal(await a.membership.applySigned({ ageMs: 0, message: left }), 'left')
    await waitFor(() => b.lookup(goneId) === undefined, patienceMs, 'b to drop the host that left')
  })

  it('a host only vouched for is handed on once the same record comes again directly (SWIM gossip)', async () => {
    const a = await cluster.add()
    const host = await generateKeyPair('Ed25519')
    const hostId = peerIdFromPrivateKey(host).toString()
    const voucher = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const record = await sign(host, encodeHeartbeat(heartbeat('vouched')), 3n)
    const handedOver = { peer: voucher, connected: new Set<string>(), checks: 1 }
    assert.equal(await a.membership.applySigned({ ageMs: 0, message: record }, handedOver), 'joined')
    const handsOn = (): boolean => a.membership.signedRecords().some(r => Buffer.from(r.message).equals(Buffer.from(record)))
    assert.equal(a.table.isVouched(hostId), true)
    assert.equal(handsOn(), false, 'a record only vouched for is not handed on')
    // The same record (no newer one) by gossip: before, it was stale and the host stayed vouched for until it signed anew.
    assert.equal((await a.membership.apply(record, voucher)).outcome, 'stale', 'nothing new to gossip on')
    assert.equal(a.table.isVouched(hostId), false)
    assert.equal(a.table.vouchedBy(voucher), 0)
    assert.equal(handsOn(), true)
  })

  it('a digest tells what the peer lacks, and how many hosts it names that this host lacks', async () => {
    const a = await cluster.add({ maxMemberDials: 0, dht: false })
    const b = await cluster.add({ maxMemberDials: 0, dht: false })
    await waitFor(() => a.ls().length === 2 && b.ls().length === 2, patienceMs, 'a and b to converge')
    const converged = a.membership.compareDigest(b.membership.digest())
    assert.deepEqual({ missing: converged.missing.length, news: converged.news }, { missing: 0, news: 0 })
    // b holds one host only vouched for and one heard directly: its digest names both, it would hand on one.
    const vouched = await generateKeyPair('Ed25519')
    const direct = await generateKeyPair('Ed25519')
    const voucher = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    assert.equal(await b.membership.applySigned({ ageMs: 0, message: await sign(vouched, encodeHeartbeat(heartbeat('v')), 1n) }, { peer: voucher, connected: new Set(), checks: 1 }), 'joined')
    const directRecord = await sign(direct, encodeHeartbeat(heartbeat('d')), 1n)
    assert.equal(await b.membership.applySigned({ ageMs: 0, message: directRecord }), 'joined')
    const atA = a.membership.compareDigest(b.membership.digest())
    assert.equal(atA.news, 2, 'b names two hosts a lacks')
    assert.equal(atA.missing.length, 0, 'a holds nothing b lacks')
    const atB = b.membership.compareDigest(a.membership.digest())
    assert.equal(atB.news, 0)
    assert.deepEqual(atB.missing.map(r => Buffer.from(r.message).toString('hex')), [Buffer.from(directRecord).toString('hex')], 'b hands on only the host heard directly')
    assert.throws(() => a.membership.compareDigest(new Uint8Array(23)), { name: 'InvalidArgument' })
  })

    it('a forged record handed over is rejected and changes nothing', async () => {
    const a = await cluster.add()
    const victim = await generateKeyPair('Ed25519')
    const attacker = await generateKeyPair('Ed25519')
    const forged = await sign(victim, encodeHeartbeat(heartbeat('forged')), 5n, attacker)
    await assert.rejects(a.membership.applySigned({ ageMs: 0, message: forged }), { name: 'InvalidArgument' })
    assert.equal(a.lookup(peerIdFromPrivateKey(victim).toString()), undefined)
    // The same record signed by its author is accepted, and an age at or past a record's lifetime makes it stale.
    const expired = await sign(victim, encodeHeartbeat(heartbeat('old')), 5n)
    assert.equal(await a.membership.applySigned({ ageMs: clusterLimits.recordLifetimeMs, message: expired }), 'stale')
    assert.equal(await a.membership.applySigned({ ageMs: 1_000, message: expired }), 'joined')
    const rec = a.lookup(peerIdFromPrivateKey(victim).toString())
    assert.equal(rec?.hostname, 'old')
    assert.ok(Date.now() - (rec?.lastSeenMs ?? 0) >= 1_000)
  })
})
