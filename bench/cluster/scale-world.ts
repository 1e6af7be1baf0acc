// The simulated cluster of the scale benchmark: thousands of hosts in one process, each running the real SWIM code
// (src/cluster/swim) with real signed records (record-signer.ts, checked by signed-heartbeat.ts) and the real
// message encoding, over an in-memory network with latency and loss, on a simulated clock.
//
// What differs from a node: the member list. A node keeps its routing table; here 10,000 tables of 10,000 hosts
// would not fit in memory, so every host starts from one shared list of the initial members and keeps only what
// changed since (SimStore). The order rules are the routing table's (instance, then seq; a host removed by a
// suspicion stays removed for its incarnation). A record's signature is checked once for the whole simulation
// (every host would find the same), and table sync (push-pull) is simulated from the frames it would send.
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { heartbeatCodec } from '../../src/caps/heartbeat.js'
import { clusterTopic } from '../../src/cluster/names.js'
import { RecordSigner } from '../../src/cluster/record-signer.js'
import { verifySignedMessage } from '../../src/cluster/signed-heartbeat.js'
import { swimParams } from '../../src/cluster/swim/params.js'
import { syncRoundMaxMs } from '../../src/cluster/table-sync.js'
import { Swim, type Applied, type MemberStore } from '../../src/cluster/swim/swim.js'
import type { Incarnation } from '../../src/cluster/swim/wire.js'
import { SimClock } from './scale-clock.js'

const topic = clusterTopic('sim')

interface Parsed { peer: string, instance: bigint, seq: bigint, leaving: boolean }
interface Entry { instance: bigint, seq: bigint, record: Uint8Array, state: 'alive' | 'removed' | 'left' }

export interface WorldOptions {
  ttlMs: number
  /** Probability that a message is lost. */
  loss: number
  minLatencyMs: number
  maxLatencyMs: number
  random: () => number
}

export class Host {
  readonly store: SimStore
  readonly swim: Swim
  alive = true
  syncBytes = 0
  syncs = 0
  seq = 1n
  readonly instance: bigint
  syncTimer: unknown

  constructor (readonly world: World, readonly index: number, readonly peer: string, readonly signer: RecordSigner, readonly key: PrivateKey, public record: Uint8Array, knowsBase: boolean) {
    this.instance = BigInt(index + 1)
    this.store = new SimStore(this, knowsBase)
    this.swim = new Swim(peer, this.store, (to, bytes) => world.send(this, to, bytes), world.clock, world.params, world.random)
  }
}

export class World {
  readonly clock = new SimClock()
  readonly params
  readonly hosts: Host[] = []
  readonly byPeer = new Map<string, Host>()
  /** The initial members, shared by every host's list. */
  readonly base: string[] = []
  readonly baseEntries = new Map<string, Entry>()
  private readonly parsed = new Map<string, Parsed>()
  inflight = 0
  /** Called when a host adds (true) or removes (false) another to or from its list. */
  onChange: (host: Host, peer: string, listed: boolean, how: Applied['outcome'] | 'suspicion') => void = () => {}

  constructor (readonly o: WorldOptions) {
    this.params = swimParams(o.ttlMs)
  }

  get random (): () => number { return this.o.random }

  /** Makes `n` hosts (keys, signed records); `knowsBase`: they start listing every initial member. */
  async addHosts (n: number, initial: boolean): Promise<Host[]> {
    const made: Host[] = []
    for (let i = 0; i < n; i++) {
      const key = await generateKeyPair('Ed25519')
      const peer = peerIdFromPrivateKey(key).toString()
      const index = this.hosts.length
      const signer = new RecordSigner(key, topic, heartbeatCodec)
      const record = await signer.sign(this.heartbeat(index, false), 1n)
      const host = new Host(this, index, peer, signer, key, record, initial)
      this.hosts.push(host)
      this.byPeer.set(peer, host)
      if (initial) {
        this.base.push(peer)
        this.baseEntries.set(peer, { instance: host.instance, seq: 1n, record, state: 'alive' })
        this.parsed.set(recordKey(record), { peer, instance: host.instance, seq: 1n, leaving: false })
      }
      made.push(host)
    }
    return made
  }

  heartbeat (index: number, leaving: boolean, issuedAtMs = Date.now()) {
    const port = 4001 + (index % 50)
    const ip = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`
    return {
      instance: BigInt(index + 1), hostname: `host-${index}`, meta: ['zone=eu-west', 'role=worker'], ttlMs: this.o.ttlMs,
      addrs: [`/ip4/${ip}/tcp/${port}`, `/ip4/${ip}/udp/${port}/quic-v1`], leaving, issuedAtMs
    }
  }

  send (from: Host, to: string, bytes: Uint8Array): void {
    const dest = this.byPeer.get(to)
    if (dest === undefined || !from.alive || this.o.random() < this.o.loss) return
    const latency = this.o.minLatencyMs + this.o.random() * (this.o.maxLatencyMs - this.o.minLatencyMs)
    this.clock.setTimer(() => { if (dest.alive) dest.swim.receive(from.peer, bytes) }, latency)
  }

  /** A record's content, its signature checked once for the whole simulation. */
  parse (record: Uint8Array): Parsed | Promise<Parsed> {
    const key = recordKey(record)
    const known = this.parsed.get(key)
    if (known !== undefined) return known
    this.inflight++
    return verifySignedMessage(record, topic).then(msg => {
      const hb = heartbeatCodec.decode(msg!.data)
      const p: Parsed = { peer: msg!.from.toString(), instance: hb.instance, seq: msg!.sequenceNumber, leaving: hb.leaving }
      this.parsed.set(key, p)
      return p
    }).finally(() => { this.inflight-- })
  }

  /**
   * One push-pull (table sync) between a and b: each sends the frames table-sync.ts would, and applies the other's.
   * `digestFirst` (anti-entropy rounds): a digest of 24 bytes a host first, then only the records the other lacks.
   */
  pushPull (a: Host, b: Host, digestFirst = false): void {
    const digests = digestFirst ? [a.store.digest(), b.store.digest()] : undefined
    for (const [from, to, theirs] of [[a, b, digests?.[1]], [b, a, digests?.[0]]] as const) {
      let bytes = 1
      let records = from.store.records()
      if (theirs !== undefined) {
        bytes += varintBytes(24 * (from.store.count() + 1)) + 24 * (from.store.count() + 1)
        records = records.filter(r => {
          const p = this.parsed.get(recordKey(r))
          const t = p === undefined ? undefined : theirs.get(p.peer)
          return t === undefined || t.instance !== p!.instance || t.seq < p!.seq
        })
      }
      for (const r of records) bytes += varintBytes(4 + r.byteLength) + 4 + r.byteLength
      from.syncBytes += bytes
      from.syncs++
      const latency = this.o.minLatencyMs + this.o.random() * (this.o.maxLatencyMs - this.o.minLatencyMs)
      this.clock.setTimer(() => {
        if (!to.alive || !from.alive) return
        for (const r of records) {
          const out = to.store.apply(r, from.peer)
          if (out instanceof Promise) out.then(x => to.store.synced(x, r), () => {})
          else to.store.synced(out, r)
        }
      }, latency)
    }
  }

  /** The anti-entropy interval for a cluster of n (table-sync.ts). */
  syncIntervalMs (n: number): number { return syncRoundMaxMs(n) }

  startSync (h: Host, firstDelayMs: number): void {
    const round = (): void => {
      if (!h.alive) return
      const [peer] = h.store.sample(1)
      const other = peer === undefined ? undefined : this.byPeer.get(peer)
      if (other !== undefined) this.pushPull(h, other, true)
      h.syncTimer = this.clock.setTimer(round, this.syncIntervalMs(h.store.count() + 1) * (0.75 + this.o.random() / 2))
    }
    h.syncTimer = this.clock.setTimer(round, firstDelayMs)
  }
}

/** One host's member list: the shared initial list, overridden by what changed here. */
export class SimStore implements MemberStore {
  private readonly overlay = new Map<string, Entry>()
  /** Members listed here that are not initial members. */
  private readonly extra: string[] = []
  private readonly removedList: string[] = []
  private alive: number

  constructor (private readonly host: Host, private readonly knowsBase: boolean) {
    this.alive = knowsBase ? host.world.base.length : 0
  }

  private get world (): World { return this.host.world }

  private entry (peer: string): Entry | undefined {
    const e = this.overlay.get(peer)
    if (e !== undefined || !this.knowsBase) return e
    return this.world.baseEntries.get(peer)
  }

  private isLive (peer: string): boolean {
    return peer !== this.host.peer && this.entry(peer)?.state === 'alive'
  }

  count (): number {
    return this.alive - (this.knowsBase && this.isBaseListedSelf() ? 1 : 0)
  }

  private isBaseListedSelf (): boolean {
    return this.world.baseEntries.has(this.host.peer) && this.overlay.get(this.host.peer) === undefined
  }

  sample (n: number, skip?: (peer: string) => boolean): string[] {
    const out: string[] = []
    const pool = (this.knowsBase ? this.world.base.length : 0) + this.extra.length
    if (pool === 0) return out
    for (let tries = 0; out.length < n && tries < 8 * n + 8; tries++) {
      const i = Math.floor(this.world.random() * pool)
      const base = this.knowsBase ? this.world.base.length : 0
      const peer = i < base ? this.world.base[i] : this.extra[i - base]
      if (!this.isLive(peer) || out.includes(peer) || (skip?.(peer) ?? false)) continue
      out.push(peer)
    }
    return out
  }

  incarnation (peer: string): Incarnation | undefined {
    const e = this.entry(peer)
    return e?.state === 'alive' && peer !== this.host.peer ? { instance: e.instance, seq: e.seq } : undefined
  }

  apply (record: Uint8Array, _from: string): Applied | Promise<Applied> {
    const p = this.world.parse(record)
    return p instanceof Promise ? p.then(x => this.applyParsed(x, record)) : this.applyParsed(p, record)
  }

  private applyParsed (p: Parsed, record: Uint8Array): Applied {
    const incarnation = { instance: p.instance, seq: p.seq }
    const result = (outcome: Applied['outcome']): Applied => ({ peer: p.peer, incarnation, outcome })
    if (p.peer === this.host.peer) return result('stale')
    const e = this.entry(p.peer)
    if (e !== undefined && e.instance === p.instance && p.seq <= e.seq) return result(e.state === 'removed' ? 'removed' : 'stale')
    const wasLive = e?.state === 'alive'
    this.overlay.set(p.peer, { instance: p.instance, seq: p.seq, record, state: p.leaving ? 'left' : 'alive' })
    if (p.leaving) {
      if (!wasLive) return result('stale')
      this.alive--
      this.world.onChange(this.host, p.peer, false, 'left')
      return result('left')
    }
    if (wasLive) return result('updated')
    this.alive++
    if (!(this.knowsBase && this.world.baseEntries.has(p.peer)) && !this.extra.includes(p.peer)) this.extra.push(p.peer)
    this.world.onChange(this.host, p.peer, true, 'joined')
    return result('joined')
  }

  /** What the node's table sync does with a record it applied: joins and leaves are handed on by SWIM. */
  synced (a: Applied, record: Uint8Array): void {
    if (a.outcome === 'joined' || a.outcome === 'left') this.host.swim.disseminate(a.peer, record)
  }

  remove (peer: string, incarnation: Incarnation): void {
    const e = this.entry(peer)
    if (e === undefined || e.state !== 'alive') return
    this.overlay.set(peer, { ...e, ...incarnation, state: 'removed' })
    this.alive--
    this.removedList.push(peer)
    this.world.onChange(this.host, peer, false, 'suspicion')
  }

  removed (peer: string): Incarnation | undefined {
    const e = this.overlay.get(peer)
    return e?.state === 'removed' ? { instance: e.instance, seq: e.seq } : undefined
  }

  sampleRemoved (): string | undefined {
    while (this.removedList.length > 0) {
      const i = Math.floor(this.world.random() * this.removedList.length)
      const peer = this.removedList[i]
      if (this.overlay.get(peer)?.state === 'removed') return peer
      this.removedList.splice(i, 1)
    }
    return undefined
  }

  self (): Incarnation { return { instance: this.host.instance, seq: this.host.seq } }

  refute (): Promise<Uint8Array> {
    const h = this.host
    h.seq++
    this.world.inflight++
    return h.signer.sign(this.world.heartbeat(h.index, false), h.seq).then(r => { h.record = r; return r }).finally(() => { this.world.inflight-- })
  }

  /** What a table digest says this host holds: each live member's incarnation, and its own. */
  digest (): Map<string, Incarnation> {
    const out = new Map<string, Incarnation>([[this.host.peer, this.self()]])
    if (this.knowsBase) {
      for (const peer of this.world.base) {
        if (this.overlay.has(peer) || peer === this.host.peer) continue
        const e = this.world.baseEntries.get(peer)!
        out.set(peer, { instance: e.instance, seq: e.seq })
      }
    }
    for (const [peer, e] of this.overlay) if (e.state === 'alive' && peer !== this.host.peer) out.set(peer, { instance: e.instance, seq: e.seq })
    return out
  }

  /** The records a table sync sends: this host's and every live member's. */
  records (): Uint8Array[] {
    const out = [this.host.record]
    if (this.knowsBase) {
      for (const peer of this.world.base) {
        if (this.overlay.has(peer) || peer === this.host.peer) continue
        out.push(this.world.baseEntries.get(peer)!.record)
      }
    }
    for (const [peer, e] of this.overlay) if (e.state === 'alive' && peer !== this.host.peer) out.push(e.record)
    return out
  }
}

function recordKey (record: Uint8Array): string {
  return Buffer.from(record.buffer, record.byteOffset, record.byteLength).toString('latin1')
}

function varintBytes (n: number): number {
  let bytes = 1
  while (n >= 0x80) { n >>>= 7; bytes++ }
  return bytes
}
