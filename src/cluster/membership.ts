// Membership: this host's signed record, the routing table filled from everyone's, and SWIM (swim/) keeping it true.
//
// A record is the host's heartbeat (instance, hostname, meta, addresses, TTL, signed issue time) signed by the host
// as a pubsub message (record-signer.ts); its sequence number, with the instance, is the host's SWIM incarnation.
// A host signs a record when it starts, when its addresses change, to refute a suspicion, every recordRefreshMs,
// and when it leaves. Records travel in SWIM's piggybacked gossip (joins, leaves, refutations) and in table sync
// (table-sync.ts, SWIM's push-pull), and every receiver checks the signature against the author's key: a host can
// only speak for itself. Liveness is not a record: SWIM probes a random member every interval, and a member that
// answers neither a ping nor the pings of others through ping-req is suspected and removed unless it refutes.
import { createHash, randomBytes } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { logger } from '@libp2p/logger'
import { InvalidArgument } from '../errors.js'
import type { Heartbeat, HeartbeatCodec } from './heartbeat.js'
import { fitHeartbeat, type FittedHeartbeat } from './heartbeat-fit.js'
import { clusterLimits } from './limits.js'
import { RecordSigner } from './record-signer.js'
import { ringNeighbours } from './ring.js'
import type { RoutingTable, HostRecord, Outcome } from './routing-table.js'
import { verifySignedMessage } from './signed-heartbeat.js'
import { swimParams } from './swim/params.js'
import { Swim, type Applied, type MemberStore, type SwimSend } from './swim/swim.js'
import type { Incarnation } from './swim/wire.js'

const log = logger('ww:cluster:membership')

export interface MembershipOptions {
  privateKey: PrivateKey
  table: RoutingTable
  /** The topic records are signed for (names.ts clusterTopic). */
  topic: string
  /** A record's content to and from bytes (heartbeat.ts). */
  codec: HeartbeatCodec
  ttlMs: number
  hostname: string
  meta: string[]
  /** Current listen addresses, read whenever the record is signed. */
  addrs: () => string[]
  /** Sends a SWIM message to a member (swim-transport.ts). */
  send: SwimSend
  /** Is there an open connection to `peer`? */
  isConnected: (peer: string) => boolean
  /** Uniform random in [0, 1) (default Math.random). */
  random?: () => number
  /**
   * The names this host's record leaves out changed (heartbeat-fit.ts): the endpoint names and topic hashes that did
   * not fit in maxHeartbeatBytes; both empty once everything fits again.
   */
  onLeftOut?: (leftOut: { endpoints: string[], topics: string[] }) => void
  /** SWIM's ring was rebuilt once the members settled (membersChanged): its neighbours, to connect to now. */
  onRingSettled?: (neighbours: ReadonlySet<string>) => void
}

export interface MembershipStats {
  /** Records of this host signed. */
  published: number
  publishErrors: number
  /** Records received by SWIM that changed the table, that did not, and SWIM messages or records rejected (swim.stats.rejected). */
  accepted: number
  ignored: number
  readonly rejected: number
  /** Records received from a peer's table (table sync) that changed ours. */
  synced: number
  /** Records of new hosts refused: their voucher's quota or the table was full. */
  refused: number
}

/** Who handed a record over in a table sync, and the peers we are connected to (their records count as direct). */
export interface SyncSource {
  peer: string
  connected: ReadonlySet<string>
  /** Signatures still to be checked in this exchange for new hosts the peer vouches for; counted down. */
  checks: number
}

/** A record as its author signed it, and how long ago it was first received. */
export interface SignedRecord {
  ageMs: number
  message: Uint8Array
}

interface Kept { message: Uint8Array, receivedAt: number }
interface KeptLeave extends Kept { ttlMs: number, instance: bigint, seq: bigint }

/** A record with the host and incarnation it is of. */
interface Keyed { peer: string, instance: bigint, seq: bigint, record: SignedRecord }

/** Bytes of one digest entry: 8 of the host's peer ID hash, its instance and seq. */
const digestEntryBytes = 24

export class Membership implements MemberStore {
  readonly instance: bigint = randomBytes(8).readBigUInt64BE()
  readonly stats: MembershipStats
  readonly swim: Swim
  private readonly o: MembershipOptions
  private readonly selfId: string
  private readonly signer: RecordSigner
  private seq = 0n
  private running = false
  private refreshTimer: ReturnType<typeof setTimeout> | undefined
  private unwatch: (() => void) | undefined
  /** Our signed leave, once stop() signed it (table sync pushes it to connected peers too). */
  leavingRecord: SignedRecord | undefined
  /** The signed record behind each live entry, this host's own included. */
  private readonly signed = new Map<string, Kept>()
  /**
   * Others' leaves, handed on by table sync for a TTL: a host that missed the gossip still drops the leaver at its
   * next exchange.
   */
  private readonly leaves = new Map<string, KeptLeave>()
  /** Live members other than this host, for random picks (rebuilt after a join or a leave). */
  private members: string[] | undefined
  /**
   * Members this host is connected to besides its ring neighbours (ring.ts), oldest first. SWIM picks its probe
   * targets and gossip peers among the ring neighbours, then these: a message to a member without a connection costs
   * a handshake (~13-32 ms of CPU), so connections are few and change slowly. A ring neighbour stays one when its connection breaks, so the hosts that keep connections to
   * it are the ones that notice when it dies; another member leaves this set with its last connection (an idle one
   * is closed, connection-trimmer.ts), so nothing dials it again.
   */
  private readonly near = new Set<string>()
  /** The ring neighbours among the live members (rebuilt with members): the connections to keep. */
  private ring: Set<string> | undefined
  /**
   * The ring SWIM picks probe and gossip targets by: computed at the first need, then rebuilt once members settle
   * (membersChanged).
   */
  private settledRing: Set<string> | undefined
  private ringTimer: ReturnType<typeof setTimeout> | undefined
  /** When the member list changed first and last since the ring was computed. */
  private ringChangedFirst = 0
  private ringChangedLast = 0
  /** The member off the ring gossip last picked at random (gossipTargets), and when. */
  private offRingPick: { peer: string, at: number } | undefined
  private probesSinceAny = 0
  /** Members removed by suspicion, still remembered by the table. */
  private readonly failed = new Set<string>()
  /** The addresses in our last record. */
  private signedAddrs = ''
  /** The endpoint names this host serves (endpointsChanged), and those in its last signed record. */
  private endpoints: string[] = []
  /** Hashes of the user topics this host subscribes to (topicsChanged). */
  private topics: string[] = []
  /** Endpoints and topics as in the last signed record. */
  private signedNames = ''
  /** What the last signed record left out (heartbeat-fit.ts), as names() joins it: at first nothing. */
  private leftOut = this.names([], [])
  /** The topic hashes in the last signed record. */
  private signedTopics: string[] = []
  private namesSigning: Promise<void> | undefined

  constructor (options: MembershipOptions) {
    this.o = options
    this.selfId = peerIdFromPrivateKey(options.privateKey).toString()
    this.signer = new RecordSigner(options.privateKey, options.topic, options.codec)
    const clock = {
      now: Date.now,
      setTimer: (fn: () => void, ms: number) => { const t = setTimeout(fn, ms); t.unref?.(); return t },
      clearTimer: (t: unknown) => { clearTimeout(t as ReturnType<typeof setTimeout>) }
    }
    const swim = this.swim = new Swim(this.selfId, this, options.send, clock, swimParams(options.ttlMs), options.random ?? Math.random)
    this.stats = { published: 0, publishErrors: 0, accepted: 0, ignored: 0, get rejected () { return swim.stats.rejected }, synced: 0, refused: 0 }
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.unwatch = this.o.table.watch(ev => {
      if (ev.type === 'update' || ev.record.peer === this.selfId) return
      this.members = undefined
      this.ring = undefined
      this.membersChanged()
      if (ev.type === 'leave') {
        this.signed.delete(ev.record.peer)
        this.near.delete(ev.record.peer)
        if (ev.how === 'expired' && this.o.table.removedAt(ev.record.peer) !== undefined) this.rememberFailed(ev.record.peer)
      } else {
        this.failed.delete(ev.record.peer)
      }
    })
    await this.sign()
    this.swim.start()
    this.scheduleRefresh()
  }

  /** Signs a leave, hands it to a few members at once and to SWIM's last gossip, and stops. */
  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    clearTimeout(this.refreshTimer)
    clearTimeout(this.ringTimer)
    this.ringTimer = undefined
    this.unwatch?.()
    const { table } = this.o
    table.removeLocal(this.selfId)
    try {
      const message = await this.signer.sign(this.heartbeat(true), ++this.seq)
      this.leavingRecord = { ageMs: 0, message }
      this.swim.leave(message, clusterLimits.leaveFanout)
    } catch (err) {
      log('leave not signed: %s', (err as Error).message)
    }
    this.swim.stop()
    this.signed.clear()
    this.leaves.clear()
  }

  /**
   * Signs a new record naming the endpoints this host now serves (sorted, checked by the caller against the
   * limits), and hands it on by gossip. Changes made while one is being signed go out in one more record.
   */
  async endpointsChanged (names: readonly string[]): Promise<void> {
    this.endpoints = [...names].sort()
    await this.namesChanged()
  }

  /** Signs a new record listing these user topic hashes (topic-hash.ts, at most maxAdvertisedTopics), and hands it on. */
  async topicsChanged (hashes: readonly string[]): Promise<void> {
    this.topics = [...hashes].sort().slice(0, clusterLimits.maxAdvertisedTopics)
    await this.namesChanged()
  }

  private names (endpoints: readonly string[], topics: readonly string[]): string {
    return endpoints.join('\n') + '\0' + topics.join('\n')
  }

  private async namesChanged (): Promise<void> {
    if (!this.running) return
    this.namesSigning ??= (async () => {
      try {
        while (this.running && this.names(this.endpoints, this.topics) !== this.signedNames) this.swim.disseminate(this.selfId, await this.sign())
      } finally { this.namesSigning = undefined }
    })()
    await this.namesSigning
  }

  /** The topic hashes this host's record lists. */
  get advertisedTopics (): readonly string[] { return this.signedTopics }

  /** Signs a new record if the addresses changed (libp2p learned or lost one), and hands it on. */
  async addressesChanged (): Promise<void> {
    if (!this.running || this.addrs().join('\n') === this.signedAddrs) return
    this.swim.disseminate(this.selfId, await this.sign())
  }

  private addrs (): string[] {
    return this.o.addrs().slice(0, clusterLimits.maxAddrs)
  }

  private heartbeat (leaving: boolean): Heartbeat {
    return {
      instance: this.instance,
      hostname: this.o.hostname,
      meta: this.o.meta,
      ttlMs: this.o.ttlMs,
      addrs: this.addrs(),
      leaving,
      issuedAtMs: Date.now(),
      endpoints: leaving ? [] : this.endpoints,
      topics: leaving ? [] : this.topics
    }
  }

  /** Signs this host's record with the next seq and puts it in the table. */
  private async sign (): Promise<Uint8Array> {
    const wanted = this.heartbeat(false)
    const seq = ++this.seq
    let message: Uint8Array
    let fitted: FittedHeartbeat
    try {
      fitted = fitHeartbeat(this.o.codec, wanted)
      message = await this.signer.sign(fitted.heartbeat, seq)
    } catch (err) {
      this.stats.publishErrors++
      throw err
    }
    const hb = fitted.heartbeat
    this.stats.published++
    this.signedAddrs = hb.addrs.join('\n')
    // what was asked for, not what fitted: names left out wait until others go, not for another signature
    this.signedNames = this.names(wanted.endpoints ?? [], wanted.topics ?? [])
    this.signedTopics = hb.topics ?? []
    const leftOut = this.names(fitted.leftOut.endpoints, fitted.leftOut.topics)
    if (leftOut !== this.leftOut) {
      this.leftOut = leftOut
      this.o.onLeftOut?.(fitted.leftOut)
    }
    const record: HostRecord = {
      peer: this.selfId, instance: hb.instance, seq, hostname: hb.hostname,
      meta: [...hb.meta], addrs: [...hb.addrs], ttlMs: hb.ttlMs, lastSeenMs: Date.now(), endpoints: [...(hb.endpoints ?? [])],
      topics: [...(hb.topics ?? [])]
    }
    if (this.running) this.o.table.setLocal(record)
    this.signed.set(this.selfId, { message, receivedAt: Date.now() })
    return message
  }

  private scheduleRefresh (): void {
    if (!this.running) return
    this.refreshTimer = setTimeout(() => {
      // Not gossiped: table sync carries it to everyone well within the record's lifetime.
      this.sign().catch(err => { log('record not refreshed: %s', (err as Error).message) })
      this.scheduleRefresh()
    }, clusterLimits.recordRefreshMs)
    this.refreshTimer.unref?.()
  }

  private rememberFailed (peer: string): void {
    if (this.failed.size >= clusterLimits.maxHosts) this.failed.delete(this.failed.values().next().value!)
    this.failed.add(peer)
  }

  // MemberStore: what SWIM reads and changes.

  count (): number { return this.liveMembers().length }

  /** A connection to `peer` opened: it is a neighbour (see near). */
  connected (peer: string): void {
    if (peer === this.selfId) return
    this.near.delete(peer)
    this.near.add(peer)
    if (this.near.size > clusterLimits.maxNearPeers) this.near.delete(this.near.values().next().value!)
  }

  /**
   * The last connection to `peer` closed: unless it is a ring neighbour, it is no longer near (nothing dials it
   * again). Returns whether it still is (then it is worth probing now: a killed host's connections break first).
   */
  disconnected (peer: string): boolean {
    if (this.isNeighbour(peer)) return true
    this.near.delete(peer)
    return false
  }

  /** Is `peer` a ring neighbour of this host (a connection to keep)? */
  isNeighbour (peer: string): boolean {
    this.ring ??= ringNeighbours(this.selfId, this.liveMembers(), clusterLimits.ringNeighboursPerSide)
    return this.ring.has(peer)
  }

  /** The ring neighbours SWIM probes and gossips to first (see membersChanged). */
  private neighbours (): Set<string> {
    this.settledRing ??= ringNeighbours(this.selfId, this.liveMembers(), clusterLimits.ringNeighboursPerSide)
    return this.settledRing
  }

  /**
   * A member joined or left: SWIM's ring is rebuilt once the list has been still for ringSettleMs, or ringMaxStaleMs
   * after the first change not in it. Until then probes and gossip go by the ring as it was (a member gone from it is
   * skipped: they pick live members only), so a wave of joins does not make every host dial each passing neighbour.
   * Which connections to keep (isNeighbour: the trimmer, the member dialer) follows the members at once.
   */
  private membersChanged (): void {
    if (this.settledRing === undefined) return
    const now = Date.now()
    if (this.ringTimer === undefined) this.ringChangedFirst = now
    this.ringChangedLast = now
    if (this.ringTimer !== undefined || !this.running) return
    const due = (): void => {
      const at = Math.min(this.ringChangedLast + clusterLimits.ringSettleMs, this.ringChangedFirst + clusterLimits.ringMaxStaleMs)
      const wait = at - Date.now()
      if (wait > 0) {
        this.ringTimer = setTimeout(due, wait)
        this.ringTimer.unref?.()
        return
      }
      this.ringTimer = undefined
      this.settledRing = undefined
      this.o.onRingSettled?.(this.neighbours())
    }
    due()
  }

  /** Up to n live members at random, ring neighbours and connected members first. */
  sample (n: number, skip?: (peer: string) => boolean): string[] {
    const out: string[] = []
    const random = this.o.random ?? Math.random
    const take = (pool: readonly string[]): void => {
      for (let tries = 0; out.length < n && tries < 4 * n + 8 && pool.length > 0; tries++) {
        const peer = pool[Math.floor(random() * pool.length)]
        if (out.includes(peer) || (skip?.(peer) ?? false)) continue
        out.push(peer)
      }
    }
    const { table } = this.o
    take([...this.neighbours()].filter(p => table.lookup(p) !== undefined))
    if (out.length < n) take([...this.near].filter(p => table.lookup(p) !== undefined))
    if (out.length < n) take(this.liveMembers())
    return out
  }

  /**
   * Ring neighbours, and one member off the ring: changes spread as an epidemic over the whole cluster, not only
   * along the ring (a ring of N hosts is N/4 hops across). Members already connected come first: while a cluster
   * forms, a host is connected to its bootstrap peer and a few others, not yet to its ring, and a handshake per
   * gossip round slowed convergence. The member off the ring is one already connected when there is one (the one a
   * previous round picked, until its connection is closed as idle), else one at random: a burst of changes costs each
   * host one new connection, not one per round. Gossip runs only while changes are queued, so these connections come
   * with changes, never in a quiet cluster. A host connected to fewer members sends to fewer: the members it is
   * connected to pass the changes on, and table sync repairs what gossip misses.
   */
  gossipTargets (n: number): string[] {
    if (n <= 0) return []
    const random = this.o.random ?? Math.random
    const { table } = this.o
    const ring = this.neighbours()
    const live = (p: string): boolean => table.lookup(p) !== undefined
    const out: string[] = []
    const take = (pool: string[], count: number): void => {
      for (let i = pool.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [pool[i], pool[j]] = [pool[j], pool[i]] }
      for (const p of pool) if (out.length < count && !out.includes(p)) out.push(p)
    }
    take([...ring].filter(p => live(p) && this.o.isConnected(p)), n - 1)
    take([...this.near].filter(p => !ring.has(p) && live(p) && this.o.isConnected(p)), n - 1)
    // Then ring neighbours not connected yet (their connections are kept): not members at random, which while a
    // cluster forms cost a host a new connection per round, each closed again once idle.
    // While the members change (the ring is about to be rebuilt), only members already connected: see probeTarget.
    const settling = this.ringTimer !== undefined
    if (out.length < n - 1 && !settling) take([...ring].filter(live), n - 1)
    const offRing = [...this.near].filter(p => !out.includes(p) && !ring.has(p) && live(p) && this.o.isConnected(p))
    if (offRing.length > 0) {
      out.push(offRing[Math.floor(random() * offRing.length)])
      return out
    }
    if (settling) return out
    // The member picked at random last time, while its connection is being made (a dial takes longer than a round
    // on a loaded machine, and every round picking anew made each host dial 2-3 members as a cluster formed).
    const picked = this.offRingPick
    if (picked !== undefined && Date.now() - picked.at < clusterLimits.swimSendTimeoutMs && !out.includes(picked.peer) && !ring.has(picked.peer) && live(picked.peer)) {
      out.push(picked.peer)
      return out
    }
    const members = this.liveMembers()
    for (let tries = 0; tries < 8 && members.length > out.length; tries++) {
      const peer = members[Math.floor(random() * members.length)]
      if (!out.includes(peer)) {
        out.push(peer)
        if (!ring.has(peer)) this.offRingPick = { peer, at: Date.now() }
        break
      }
    }
    return out
  }

  isNear (peer: string): boolean { return this.o.isConnected(peer) }

  heardFrom (peer: string): void { this.o.table.touch(peer) }

  /**
   * A neighbour, and every probeAnyEvery probes a member outside the neighbours: one connected (a host with more
   * connections than maxNearPeers holds), or one known only from a voucher that is not a member (an outsider that
   * handed over records in a table sync: fakes answer nothing and are removed). Every member is probed by the hosts
   * it is connected to; a member at random would cost a new connection per probe (a handshake each, ~13-32 ms of CPU
   * on each side, and a connection kept): at 20 hosts that was 4 handshakes a second, for good.
   */
  probeTarget (): string | undefined {
    if (++this.probesSinceAny >= clusterLimits.probeAnyEvery) {
      this.probesSinceAny = 0
      const far = this.farMember()
      if (far !== undefined) return far
    }
    // While the members change, the ring probes go by is about to be rebuilt: a neighbour on it not connected yet
    // would cost a handshake on each side for a connection closed again once idle. Connected members are probed
    // until it settles (ringMaxStaleMs at most), and its new neighbours are dialed then (onRingSettled).
    if (this.ringTimer !== undefined) {
      const connected = this.sample(1, p => !this.o.isConnected(p))[0]
      if (connected !== undefined) return connected
    }
    return this.sample(1)[0]
  }

  /**
   * A listed member vouched for by a peer that is not listed, at random. (Not a connected member outside the ring:
   * probing it would keep its connection busy, and it is probed by its own ring neighbours.)
   */
  private farMember (): string | undefined {
    const { table } = this.o
    const pool: string[] = []
    for (const p of this.liveMembers()) {
      const voucher = table.voucherOf(p)
      if (voucher !== undefined && table.lookup(voucher) === undefined && !this.near.has(p) && !this.isNeighbour(p)) pool.push(p)
    }
    const random = this.o.random ?? Math.random
    return pool[Math.floor(random() * pool.length)]
  }

  private liveMembers (): string[] {
    this.members ??= this.o.table.ls().map(r => r.peer).filter(p => p !== this.selfId)
    return this.members
  }

  incarnation (peer: string): Incarnation | undefined {
    if (peer === this.selfId) return undefined
    const r = this.o.table.lookup(peer)
    return r === undefined ? undefined : { instance: r.instance, seq: r.seq }
  }

  /** A record that came in SWIM gossip: checked against its author's key like any other; counts as heard directly. */
  async apply (record: Uint8Array, _from: string): Promise<Applied> {
    let outcome: Outcome
    let peer = ''
    let incarnation: Incarnation = { instance: 0n, seq: 0n }
    try {
      const r = await this.applyRecord({ ageMs: 0, message: record }, undefined)
      outcome = r.outcome
      peer = r.peer
      incarnation = r.incarnation
    } catch (err) {
      log('record from %s rejected: %s', _from, (err as Error).message)
      throw err
    }
    if (outcome === 'joined' || outcome === 'updated' || outcome === 'left') this.stats.accepted++
    else this.stats.ignored++
    const removed = this.o.table.removedAt(peer)
    if (outcome === 'stale' && removed !== undefined && removed.instance === incarnation.instance && removed.seq >= incarnation.seq) {
      return { peer, incarnation, outcome: 'removed' }
    }
    return { peer, incarnation, outcome: outcome === 'joined' || outcome === 'updated' || outcome === 'left' ? outcome : 'stale' }
  }

  remove (peer: string, _incarnation: Incarnation): void {
    if (this.o.table.remove(peer)) log('removed %s: no answer to probes, suspicion not refuted', peer)
  }

  removed (peer: string): Incarnation | undefined {
    return this.o.table.removedAt(peer)
  }

  sampleRemoved (): string | undefined {
    for (const peer of this.failed) {
      this.failed.delete(peer)
      if (this.o.table.removedAt(peer) === undefined) continue
      this.failed.add(peer) // to the back: the next call tries another
      return peer
    }
    return undefined
  }

  self (): Incarnation { return { instance: this.instance, seq: this.seq } }

  async refute (): Promise<Uint8Array> {
    log('suspected: refuting with seq %d', this.seq + 1n)
    return await this.sign()
  }

  // Table sync (push-pull).

  /**
   * The signed records behind the live entries, for a peer that asks for our table. Records only vouched for by
   * another peer are not handed on until their host is heard directly: a flood stops at the node it was sent to.
   */
  signedRecords (): SignedRecord[] {
    return this.keyedRecords().map(k => k.record)
  }

  /**
   * The records we hold, leaves included; records only vouched for are not handed on, but `withVouched` lists them
   * too (a digest names them, so a peer does not send them again at every round).
   */
  private keyedRecords (withVouched = false): Keyed[] {
    const now = Date.now()
    const out: Keyed[] = []
    const { table } = this.o
    for (const [peer, kept] of this.signed) {
      const r = peer === this.selfId ? { instance: this.instance, seq: this.seq } : table.lookup(peer)
      if (r === undefined || (!withVouched && !this.handsOn(peer))) continue
      out.push({ peer, instance: r.instance, seq: r.seq, record: { ageMs: now - kept.receivedAt, message: kept.message } })
    }
    for (const [peer, kept] of this.leaves) {
      if (now - kept.receivedAt >= kept.ttlMs) this.leaves.delete(peer)
      else out.push({ peer, instance: kept.instance, seq: kept.seq, record: { ageMs: now - kept.receivedAt, message: kept.message } })
    }
    return out
  }

  /** Is `peer`'s record handed on? Not while it is only vouched for (our own always is). */
  private handsOn (peer: string): boolean {
    return peer === this.selfId || !this.o.table.isVouched(peer)
  }

  /** What we hold, in digestEntryBytes per host: a peer that has a newer or another record sends it. */
  digest (): Uint8Array {
    const keyed = this.keyedRecords(true)
    const out = Buffer.alloc(keyed.length * digestEntryBytes)
    keyed.forEach((k, i) => {
      peerHash(k.peer).copy(out, i * digestEntryBytes)
      out.writeBigUInt64BE(k.instance, i * digestEntryBytes + 8)
      out.writeBigUInt64BE(k.seq, i * digestEntryBytes + 16)
    })
    return out
  }

  /**
   * Compares a peer's digest with our table: `missing`, our records it lacks or holds older (to send it); `news`, the
   * hosts it names that we lack or hold older, whether or not it hands their records on. InvalidArgument for a
   * malformed digest.
   */
  compareDigest (digest: Uint8Array): { missing: SignedRecord[], news: number } {
    if (digest.byteLength % digestEntryBytes !== 0 || digest.byteLength > 2 * clusterLimits.maxHosts * digestEntryBytes) {
      throw new InvalidArgument(`a table digest of ${digest.byteLength} bytes is not a list of ${digestEntryBytes}-byte entries within 2 × maxHosts`)
    }
    const buf = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength)
    const theirs = new Map<string, { instance: bigint, seq: bigint }>()
    for (let at = 0; at < buf.byteLength; at += digestEntryBytes) {
      theirs.set(buf.toString('latin1', at, at + 8), { instance: buf.readBigUInt64BE(at + 8), seq: buf.readBigUInt64BE(at + 16) })
    }
    const missing: SignedRecord[] = []
    let known = 0
    for (const k of this.keyedRecords(true)) {
      const t = theirs.get(peerHash(k.peer).toString('latin1'))
      if (t !== undefined && t.instance === k.instance && t.seq <= k.seq) known++
      if ((t === undefined || t.instance !== k.instance || t.seq < k.seq) && this.handsOn(k.peer)) missing.push(k.record)
    }
    return { missing, news: theirs.size - known }
  }

  /**
   * Applies a record handed over by `source` (a table sync peer; none for a record of unknown origin taken as direct):
   * the signature is checked like a pubsub message's, unless the table would not take the record anyway. A join or
   * a leave that was news here is handed on by SWIM, unless only vouched for.
   */
  async applySigned (record: SignedRecord, source?: SyncSource): Promise<Outcome> {
    const r = await this.applyRecord(record, source)
    if (r.outcome === 'joined' || r.outcome === 'updated' || r.outcome === 'left') this.stats.synced++
    if ((r.outcome === 'joined' || r.outcome === 'left') && this.handsOn(r.peer)) {
      this.swim.disseminate(r.peer, record.message.slice())
    } else if (r.outcome === 'updated') {
      this.swim.heard(r.peer)
    }
    return r.outcome
  }

  private async applyRecord (record: SignedRecord, source?: SyncSource): Promise<{ outcome: Outcome, peer: string, incarnation: Incarnation }> {
    const none = { peer: '', incarnation: { instance: 0n, seq: 0n } }
    if (!this.running) return { outcome: 'stale', ...none }
    const { table } = this.o
    const voucher = (author: string): string | undefined =>
      source === undefined || author === source.peer || source.connected.has(author) ? undefined : source.peer
    let refused = false
    let peer = ''
    const msg = await verifySignedMessage(record.message, this.o.topic, (author, seq) => {
      peer = author
      if (author === this.selfId) return false
      const by = voucher(author)
      if (!table.wants(author, seq, by)) {
        refused = by !== undefined && table.lookup(author) === undefined
        return false
      }
      if (by === undefined || table.lookup(author) !== undefined) return true
      if (source!.checks <= 0) {
        refused = true
        return false
      }
      source!.checks--
      return true
    })
    if (refused) this.stats.refused++
    if (msg === undefined || !this.running) {
      const known = table.lookup(peer) ?? table.removedAt(peer)
      return { outcome: refused ? 'refused' : 'stale', peer, incarnation: known === undefined ? none.incarnation : { instance: known.instance, seq: known.seq } }
    }
    const sender = msg.from.toString()
    const hb = this.o.codec.decode(msg.data)
    const incarnation = { instance: hb.instance, seq: msg.sequenceNumber }
    const outcome = table.apply(sender, msg.sequenceNumber, hb, record.ageMs, voucher(sender))
    if (outcome === 'refused') this.stats.refused++
    if (outcome === 'joined' || outcome === 'updated') {
      this.signed.set(sender, { message: record.message.slice(), receivedAt: Date.now() - Math.max(0, record.ageMs) })
      this.leaves.delete(sender)
    } else if (outcome === 'left') {
      this.signed.delete(sender)
      if (this.leaves.size < clusterLimits.maxHosts) {
        this.leaves.set(sender, { message: record.message.slice(), receivedAt: Date.now() - Math.max(0, record.ageMs), ttlMs: hb.ttlMs > 0 ? Math.min(hb.ttlMs, clusterLimits.maxTtlMs) : clusterLimits.defaultTtlMs, ...incarnation })
      }
    }
    return { outcome, peer: sender, incarnation }
  }
}

const peerHashes = new Map<string, Buffer>()

/** The first 8 bytes of the SHA-256 of a peer ID: how a digest names a host. */
function peerHash (peer: string): Buffer {
  let h = peerHashes.get(peer)
  if (h === undefined) {
    h = createHash('sha256').update(peer).digest().subarray(0, 8)
    if (peerHashes.size >= 2 * clusterLimits.maxHosts) peerHashes.clear()
    peerHashes.set(peer, h)
  }
  return h
}
