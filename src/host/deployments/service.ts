// Deployments on one host: the records it keeps (store, gossip, its home), what it makes (deploy, scale, undeploy:
// a new signed version), and its replicas (the reconciler). A record only runs here when its author is this host
// or a peer this host's policy lets run procs (exec), with that peer's module rules and a root it may reach.
import type { PrivateKey } from '@libp2p/interface'
import { logger } from '../../log.js'
import {
  DeploymentGossip, DeploymentStore, checkDeploymentName, checkReplicas, checkSpec, deployLimits, place, signDeployment, verifyDeployment,
  type DeploymentRecord, type DeploymentSpec, type Placement, type PlacementHost, type SignedDeployment
} from '../../cluster/deployments/index.js'
import type { DeploymentGossipComponents } from '../../cluster/index.js'
import { InvalidArgument, LimitExceeded, ModuleNotFound, NotFound } from '../../errors.js'
import { OWNER, type Proc } from '../../proc/index.js'
import type { AnchorClient } from '../../schema/anchor.rpc.js'
import type { HostClient } from '../../schema/host.rpc.js'
import type { HostProcs } from '../host-procs.js'
import { hostLimits } from '../limits.js'
import { ALL_RIGHTS, type Policy } from '../policy.js'
import { restrictAnchor } from '../policy-anchor.js'
import { readRecordsFile, writeRecordsFile } from './records-file.js'
import { Reconciler, type ReplicaState } from './replicas.js'

const log = logger('ww:host:deploy')
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

export interface DeploymentServiceOptions {
  self: string
  namespace: string
  key: PrivateKey
  /** The cluster node's parts the deployments' gossip uses. */
  components: DeploymentGossipComponents
  /** `<home>/deployments`. */
  file: string
  /** Read at each use: the policy in force (live-policy.ts), which a reload replaces. */
  policy: Pick<Policy, 'rightsOf' | 'modulesOf'>
  procs: HostProcs
  hosts: () => PlacementHost[]
  /** Another host's Host capability (yours to release). */
  hostOf: (peer: string) => Promise<HostClient>
  /** A new reference to the cluster root. */
  clusterRoot: () => AnchorClient
  /** Subscribes to changes of the live hosts; returns the unsubscribe. */
  watchHosts: (fn: () => void) => () => void
}

export class DeploymentService {
  // Only records whose author may run procs here are kept: a peer without exec can neither fill this host's store
  // nor replace or undeploy a deployment this host runs.
  readonly store: DeploymentStore
  readonly gossip: DeploymentGossip
  readonly reconciler: Reconciler
  private readonly unwatch: Array<() => void> = []
  private startTimer: ReturnType<typeof setTimeout> | undefined
  private persistTimer: ReturnType<typeof setTimeout> | undefined
  /** Modules this host pinned in its cache for deployments (hex SHA-256): pinned once each, unpinned once no kept deployment runs them. */
  private readonly pinned = new Set<string>()
  /** Modules of deploys under way (not yet records), by how many: they stay pinned meanwhile. */
  private readonly deploying = new Map<string, number>()

  constructor (private readonly o: DeploymentServiceOptions) {
    this.store = new DeploymentStore(deployLimits, author => author === o.self || o.policy.rightsOf(author).has('exec'))
    this.gossip = new DeploymentGossip(o.components, o.namespace, this.store)
    this.reconciler = new Reconciler(o.self, () => this.runnable(), o.hosts, async (r, i) => await this.startReplica(r, i))
  }

  async start (): Promise<void> {
    for (const bytes of readRecordsFile(this.o.file)) {
      try {
        this.store.apply(await verifyDeployment(this.o.namespace, bytes))
      } catch (err: any) {
        log.error('a deployment record in %s dropped: %s', this.o.file, err?.message)
      }
    }
    // the modules of this host's own deployments stay pinned across a restart, as when they were deployed
    for (const r of this.store.live()) if (r.author === this.o.self) this.pin(r.spec!.module)
    this.unwatch.push(this.store.watch(s => {
      log('deployment %s v%d by %s%s', s.record.name, s.record.version, s.record.author, s.record.deleted ? ' (undeployed)' : '')
      this.persistSoon()
      this.unpinUnused()
      this.reconciler.schedule()
    }))
    this.unwatch.push(this.o.watchHosts(() => { this.reconciler.schedule() }))
    await this.gossip.start()
    this.startTimer = setTimeout(() => { this.reconciler.begin() }, hostLimits.deployStartDelayMs)
    this.startTimer.unref?.()
  }

  async stop (): Promise<void> {
    clearTimeout(this.startTimer)
    for (const u of this.unwatch) u()
    this.reconciler.close()
    await this.gossip.stop()
    if (this.persistTimer !== undefined) {
      clearTimeout(this.persistTimer)
      this.persist()
    }
  }

  /** Makes or replaces deployment `spec.name` with a module this host holds (or fetches with `fetch`). */
  async deploy (name: string, spec: DeploymentSpec, fetch?: (hash: Uint8Array) => Promise<Uint8Array>): Promise<number> {
    checkDeploymentName(name)
    checkSpec(spec)
    const hash = Buffer.from(spec.module, 'hex')
    const held = this.store.get(name)
    if ((held === undefined || held.record.deleted) && this.store.live().length >= deployLimits.maxDeployments) {
      throw new LimitExceeded(`the cluster keeps at most ${deployLimits.maxDeployments} deployments (maxDeployments): undeploy one first`)
    }
    if (await this.o.procs.cache.original(hash) === undefined) {
      if (fetch === undefined) throw new ModuleNotFound(`module ${spec.module} is not on this host: deploy it from a file`)
      const got = await this.o.procs.cache.add(await fetch(hash))
      if (hex(got) !== spec.module) throw new InvalidArgument(`the bytes sent for module ${spec.module} do not match its hash`)
    }
    this.pin(spec.module)
    this.deploying.set(spec.module, (this.deploying.get(spec.module) ?? 0) + 1)
    try {
      return await this.publish(name, spec, false)
    } finally {
      const n = this.deploying.get(spec.module)! - 1
      if (n > 0) this.deploying.set(spec.module, n)
      else this.deploying.delete(spec.module)
      this.unpinUnused() // the record was refused, or replaced one whose module no kept deployment runs now
    }
  }

  async scale (name: string, replicas: number): Promise<number> {
    checkReplicas(replicas)
    const r = this.liveRecord(name)
    return await this.publish(name, { ...r.spec!, replicas }, false)
  }

  async undeploy (name: string): Promise<number> {
    const r = this.liveRecord(name)
    return await this.publish(name, undefined, true, r)
  }

  /** The live deployments and where this host places their replicas. */
  deployments (): Array<{ record: DeploymentRecord, placement: Placement }> {
    const hosts = this.o.hosts()
    return this.store.live().map(record => ({ record, placement: place(record, hosts) }))
  }

  replicas (): ReplicaState[] { return this.reconciler.replicas() }

  /** The bytes of a module one of the deployments kept here runs (for hosts that lack it). */
  async module (hash: Uint8Array): Promise<Uint8Array | undefined> {
    const h = hex(hash)
    if (!this.store.live().some(r => r.spec?.module === h)) return undefined
    return await this.o.procs.cache.original(hash)
  }

  private pin (module: string): void {
    if (this.pinned.has(module)) return
    this.pinned.add(module)
    this.o.procs.cache.pin(Buffer.from(module, 'hex'))
  }

  /** Unpins the modules no kept deployment runs any more (undeployed, or replaced by another module), so the cache may evict them. */
  private unpinUnused (): void {
    const used = new Set(this.store.live().map(r => r.spec!.module))
    for (const module of this.pinned) {
      if (used.has(module) || this.deploying.has(module)) continue
      this.pinned.delete(module)
      this.o.procs.cache.unpin(Buffer.from(module, 'hex'))
      log('module %s unpinned: no kept deployment runs it', module)
    }
  }

  private liveRecord (name: string): DeploymentRecord {
    const held = this.store.get(name)
    if (held === undefined || held.record.deleted) throw new NotFound(`no deployment ${JSON.stringify(name)}: 'ww deployments' lists them`)
    return held.record
  }

  private async publish (name: string, spec: DeploymentSpec | undefined, deleted: boolean, _was?: DeploymentRecord): Promise<number> {
    const held = this.store.get(name)
    const version = Math.max((held?.record.version ?? 0) + 1, Date.now())
    const record: DeploymentRecord = { name, version, author: this.o.self, issuedMs: Date.now(), deleted, ...(spec === undefined ? {} : { spec }) }
    const signed = await signDeployment(this.o.key, this.o.namespace, record)
    this.store.apply(signed)
    await this.gossip.publish(signed)
    return version
  }

  /** The records that may run here: their author is this host, or a peer with exec. */
  private runnable (): DeploymentRecord[] {
    return this.store.live().filter(r => r.author === this.o.self || this.o.policy.rightsOf(r.author).has('exec'))
  }

  private async startReplica (r: DeploymentRecord, index: number): Promise<Proc> {
    const spec = r.spec!
    const hash = Buffer.from(spec.module, 'hex')
    const remote = r.author !== this.o.self
    if (remote) await this.o.procs.admit(hash, { peer: r.author, modules: this.o.policy.modulesOf(r.author) })
    const rights = this.o.policy.rightsOf(r.author)
    const base = remote && rights.size < ALL_RIGHTS.size ? restrictAnchor(this.o.clusterRoot(), r.author, rights) : this.o.clusterRoot()
    const walked = spec.root === '' ? undefined : base.walk(p => { p.path = spec.root }, { onlyPipeline: true })
    try {
      return await this.o.procs.spawnHere({
        module: { hash, fetch: async h => await this.fetchModule(r, h) },
        args: spec.args,
        env: [...spec.env, `WW_DEPLOYMENT=${r.name}`, `WW_REPLICA=${index}`],
        limits: {
          ...(spec.limits.memoryBytes > 0 ? { memoryBytes: spec.limits.memoryBytes } : {}),
          ...(spec.limits.fuel > 0 ? { fuel: spec.limits.fuel } : {}),
          ...(spec.limits.timeoutMs > 0 ? { timeoutMs: spec.limits.timeoutMs } : {})
        },
        name: `${r.name}#${index}`,
        output: 'log',
        account: remote ? r.author : OWNER
      }, walked?.pipeline.anchor ?? base)
    } finally {
      walked?.release()
      base.release()
    }
  }

  /** A module's bytes from the deployment's author, else from any live host that keeps the deployment. */
  private async fetchModule (r: DeploymentRecord, hash: Uint8Array): Promise<Uint8Array> {
    const others = this.o.hosts().map(h => h.peer).filter(p => p !== this.o.self && p !== r.author)
    const order = [...(r.author === this.o.self ? [] : [r.author]), ...others.sort(() => Math.random() - 0.5)]
    const reasons: string[] = []
    for (const peer of order) {
      try {
        using host = await this.o.hostOf(peer)
        using d = host.deployments()
        using s = d.pipeline.deployments.source()
        using ans = s.pipeline.source.fetch(p => { p._initHash(hash.byteLength).copyBuffer(hash) })
        return (await ans).bytes.toUint8Array().slice()
      } catch (err: any) {
        reasons.push(`${peer.slice(-6)}: ${err?.message}`)
      }
    }
    throw new ModuleNotFound(`no live host could send module ${hex(hash)} of deployment ${r.name}${reasons.length > 0 ? ` (${reasons.slice(0, 2).join('; ')})` : ''}`)
  }

  private persistSoon (): void {
    if (this.persistTimer !== undefined) return
    this.persistTimer = setTimeout(() => { this.persistTimer = undefined; this.persist() }, 50)
  }

  private persist (): void {
    try {
      writeRecordsFile(this.o.file, this.store.all())
    } catch (err: any) {
      log.error('cannot keep deployments in %s: %s', this.o.file, err?.message)
    }
  }
}

export type { SignedDeployment }
