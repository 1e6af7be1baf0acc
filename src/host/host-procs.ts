// The procs of one host: the src/proc Executor with a cluster world per proc, placement of
// children here or on another host (by peer ID or k=v tag), module shipping by hash, and the
// Executor capability.
import { logger } from '../log.js'
import { Canceled, InvalidArgument, NotFound } from '../errors.js'
import {
  Executor, FilePids, ModuleCache, procCap, childLimits, DEFAULT_RUNTIME_LIMITS, PARENT_ENDED, PARENT_ENDED_REASON, sha256, type Account, type GuestSpawnRequest, type Proc, type ProcCap, type ProcLimits,
  type RuntimeLimits, type SpawnOptions, type WorldContext, type HostEntry
} from '../proc/index.js'
import type { OpOptions } from '../csp/index.js'
import type { AnchorClient } from '../schema/anchor.rpc.js'
import type { HostClient } from '../schema/host.rpc.js'
import { Host_Executor$Results$Caps } from '../schema/host.rpc.js'
import { Executor_Spawn$Results$Caps, type ExecutorClient } from '../schema/executor.rpc.js'
import { serveExecutor } from '../caps/executor.js'
import type { ProcClient } from '../schema/proc.rpc.js'
import { ClusterWorld } from './cluster-world.js'
import { CapScope, exportCap } from './guest-caps.js'
import { guestEndpoints, type HostEndpoints } from './guest-endpoints.js'
import type { GuestPubSub } from './guest-pubsub.js'
import { serveProc } from '../caps/proc.js'
import { hostLimits } from './limits.js'
import { ModuleGate, type Spawner } from './module-gate.js'
import { HostWatch, ProcTree, type OnHostLeft } from './proc-tree.js'
import { writeSpawnRequest, type ReadSpawn, type SpawnCap } from '../caps/spawn-request.js'
import { serveModuleSource } from '../caps/module-source.js'

const log = logger('ww:host:procs')

/** The message a tied proc is killed with when the host that spawned it leaves the cluster. */
export const SPAWNER_LOST = 'killed: the host that spawned it left the cluster'

/** The root path marker under which a spawn's root anchor is passed to the world factory. */
const ROOT_KEY = '#root'

export interface HostProcsOptions {
  peerId: string
  /** Directory of the module cache (`<home>/modules`); none = memory only. */
  modulesDir?: string
  /** File of the pid counter (`<home>/pids`), so pids are not reused after a restart; none = from 1 in memory. */
  pidFile?: string
  /** A new reference to the cluster root "/". */
  clusterRoot: () => AnchorClient
  /** A new reference to another host's Host capability. */
  hostOf: (peer: string) => Promise<HostClient>
  /** Live hosts (peer IDs, this one included) whose meta has every `k=v` in `where`. */
  hosts: (where: string[]) => string[]
  /** The same hosts with their meta (what a guest's ww_nodes / ww_node_meta see); none = peer IDs only, no meta. */
  hostRecords?: (where: string[]) => HostEntry[]
  /** The cluster's topics, for guests' ww_publish / ww_subscribe; none = they fail Unimplemented. */
  pubsub?: GuestPubSub
  limits?: Partial<RuntimeLimits>
  /** New modules one remote peer may make this host prepare per minute (default hostLimits.modulePreparationsPerMinute). */
  preparationsPerMinute?: number
  /** Told when someone (`from`: "peer <id>", or the owner) supplied bytes that do not match the module asked for (rate-limited; `unsaid` events went untold). */
  onModuleMismatch?: (from: string, hash: string, unsaid: number) => void
  /** Named endpoints, for guests' ww_endpoint_*; none = they fail Unimplemented. An ended proc's endpoints end. */
  endpoints?: HostEndpoints
  /** Subscribes to hosts leaving the cluster (left, expired, restarted): procs there are lost to their watchers. */
  onHostLeft?: OnHostLeft
}

export class HostProcs {
  readonly executor: Executor
  readonly cache: ModuleCache
  private readonly gate: ModuleGate
  private readonly roots = new Map<number, { root: AnchorClient | null, spawner?: Spawner, caps?: SpawnCap[] }>()
  private nextRootKey = 1
  private readonly worlds = new Map<number, ClusterWorld>()
  /** Guests' children that end with them. */
  private readonly tree = new ProcTree()
  private readonly watch: HostWatch

  constructor (private readonly opts: HostProcsOptions) {
    this.cache = new ModuleCache({ dir: opts.modulesDir, limits: opts.limits })
    const pidBlock = opts.limits?.pidBlock ?? DEFAULT_RUNTIME_LIMITS.pidBlock
    const pids = opts.pidFile === undefined ? undefined : new FilePids(opts.pidFile, pidBlock)
    this.executor = new Executor({ cache: this.cache, world: ctx => this.worldFor(ctx), limits: opts.limits, pids })
    this.watch = new HostWatch(opts.onHostLeft, peer => opts.hosts([]).includes(peer))
    this.gate = new ModuleGate(this.cache, {
      preparationsPerMinute: opts.preparationsPerMinute ?? hostLimits.modulePreparationsPerMinute,
      mismatchLinesPerMinute: hostLimits.moduleMismatchLinesPerMinute,
      onMismatch: opts.onModuleMismatch
    })
  }

  get peerId (): string { return this.opts.peerId }

  private worldFor (ctx: WorldContext): ClusterWorld {
    const given = ctx.root[0] === ROOT_KEY ? this.roots.get(Number(ctx.root[1])) : undefined
    const root = given?.root != null ? given.root.dup() : this.opts.clusterRoot()
    const spawner = given?.spawner
    const caps = given?.caps
    if (given !== undefined) given.caps = undefined // the world takes them over
    const records = this.opts.hostRecords ?? ((where: string[]) => this.opts.hosts(where).map(peer => ({ peer, meta: [] })))
    const world = new ClusterWorld(root, given?.root != null, {
      spawn: async (req, r, scope, o) => await this.spawnChild(req, r, scope, ctx, o, spawner)
    }, {
      peerId: this.opts.peerId,
      hosts: records,
      pubsub: this.opts.pubsub,
      caps,
      endpoints: this.opts.endpoints === undefined ? undefined : guestEndpoints(ctx.pid, this.opts.endpoints)
    })
    this.worlds.set(ctx.pid, world)
    return world
  }

  /**
   * Spawns a proc on this host, charged to `opts.account`; `root` (borrowed) is the anchor it sees as "/", none = the
   * cluster root. `spawner`: the remote peer it runs for (its children's modules pass that peer's rules), none = the
   * owner. `caps` (taken over): capabilities handed to the proc (ww_arg_cap). Checks no module rule: callers admit the module first.
   */
  async spawnHere (opts: Omit<SpawnOptions, 'root'>, root?: AnchorClient | null, spawner?: Spawner, caps?: SpawnCap[]): Promise<Proc> {
    const key = this.nextRootKey++
    const entry = { root: root ?? null, spawner, caps }
    this.roots.set(key, entry)
    try {
      const proc = await this.executor.spawn({ ...opts, root: [ROOT_KEY, String(key)] })
      this.cache.pin(proc.moduleHash) // its files stay on disk while it runs
      proc.onEnd(p => {
        this.cache.unpin(p.moduleHash)
        this.opts.endpoints?.registry.endProc(p.pid)
        this.tree.orphan(p.pid)
        this.worlds.get(p.pid)?.close()
        this.worlds.delete(p.pid)
      })
      return proc
    } finally {
      this.roots.delete(key)
      for (const c of entry.caps ?? []) c.cap.release() // the spawn failed before the proc's world took them
    }
  }

  /** Passes a module the rules of `spawner` (none = the owner) before it is fetched or prepared: a deployment's replica of a remote author. */
  async admit (hash: Uint8Array, spawner?: Spawner): Promise<void> {
    await this.gate.admit(hash, await this.cache.signatures(hash), spawner)
  }

  /** Where a child goes: this host, or another host's peer ID. */
  place (where: string): string {
    if (where === '' || where === this.opts.peerId) return this.opts.peerId
    if (where.includes('=')) {
      const pairs = where.split('\n').filter(p => p !== '')
      const hosts = this.opts.hosts(pairs)
      if (hosts.length === 0) throw new NotFound(`no live host matches ${pairs.join(' ')}`)
      return hosts.includes(this.opts.peerId) ? this.opts.peerId : hosts[Math.floor(Math.random() * hosts.length)]
    }
    if (!this.opts.hosts([]).includes(where)) throw new NotFound(`no live host ${JSON.stringify(where)}`)
    return where
  }

  /**
   * A guest's child: here, charged to the guest's account, with the authority of the guest's `spawner` (none = the
   * owner); on another host, which charges it to the connection's peer, this host. It runs inside the guest's
   * limits (asking for more gets the guest's) and root, and ends when the guest ends unless detached.
   */
  private async spawnChild (req: GuestSpawnRequest, root: AnchorClient | null, scope: CapScope, parent: WorldContext, opts?: OpOptions, spawner?: Spawner): Promise<ProcCap> {
    const account: Account = parent.account
    const limits = childLimits(parent.limits, req.limits)
    const detached = req.detached === true
    const peer = this.place(req.where)
    const bytes = req.module.bytes
    const hash = bytes !== undefined ? sha256(bytes) : req.module.hash
    if (hash === undefined) throw new InvalidArgument('a spawn needs module bytes or a hash')
    // Released here unless handed on: spawnHere takes them over (the proc's world, or it releases them on failure);
    // a remote spawn request takes its own references.
    const caps: SpawnCap[] = []
    try {
      for (const c of req.caps ?? []) {
        if (c.kind === 'anchor') throw new InvalidArgument('an anchor handle cannot be handed to a child; give it a root path instead')
        caps.push({ kind: c.kind, cap: await exportCap(c) })
      }
      if (peer === this.opts.peerId) {
        await this.gate.admit(hash, [], spawner)
        const module = bytes !== undefined ? { bytes } : { hash }
        const proc = await this.spawnHere({ module, args: req.args, env: req.env, limits, account }, root, spawner, caps.splice(0))
        if (!detached) proc.onEnd(this.tree.adopt(parent.pid, () => { proc.kill(PARENT_ENDED) }))
        const cap = procCap(proc)
        CapScope.exportAs(cap, () => this.serveProc(proc))
        return cap
      }
      // The other host checks the module against its rules for this host: hand it the signatures verified here.
      const signatures = await this.cache.signatures(hash)
      using host = await this.opts.hostOf(peer)
      using ex = host.executor()
      using source = serveModuleSource(async h => bytes !== undefined && equal(h, hash) ? bytes : await this.cache.original(h))
      using ans = Host_Executor$Results$Caps.executor.get(await ex).spawn(p => {
        // tied: if this host dies, the connection drop ends the child there
        writeSpawnRequest(p._initRequest(), { hash, source, signatures, args: req.args, env: req.env, limits, root: root ?? undefined, caps, tied: !detached })
      }, { signal: opts?.signal })
      return this.remoteChild(Executor_Spawn$Results$Caps.proc.get(await ans).dup(), peer, parent.pid, detached, scope)
    } finally {
      for (const c of caps) c.cap.release()
    }
  }

  /** The ProcCap of a child spawned on `peer` (`client` taken over): supervised unless detached; its wait ends when `peer` is lost. */
  private remoteChild (client: ProcClient, peer: string, parent: number, detached: boolean, scope: CapScope): ProcCap {
    if (!detached) this.superviseRemote(parent, client.dup(), peer)
    const cap = scope.proc(client)
    const wait = cap.wait
    cap.wait = async o => {
      const done = new AbortController()
      try {
        return await Promise.race([wait(o), this.watch.lost(peer, done.signal)])
      } finally { done.abort() }
    }
    return cap
  }

  /** Kills the child on `peer` (`keep`, taken over) when its parent ends; lets go once it ended or its host left. */
  private superviseRemote (parent: number, keep: ProcClient, peer: string): void {
    const forget = this.tree.adopt(parent, () => { keep.kill(p => { p.reason = PARENT_ENDED_REASON }).then(() => {}, () => {}) })
    const done = new AbortController()
    const ended = (async () => { using ans = keep.wait(); await ans })()
    Promise.race([ended, this.watch.lost(peer, done.signal)]).catch(() => {}).finally(() => {
      done.abort()
      forget()
      keep.release()
    })
  }

  /**
   * The Executor capability (yours to release) of `account`, who its spawns are charged to: the peer at the other
   * end of the connection, or OWNER. `defaultRoot` (a new reference each call) is the root of procs spawned without
   * one, instead of the cluster root: a remote peer's procs get what that peer may reach. `spawner`: the remote peer
   * it is served to, whose module rules and preparation budget its spawns (and its procs' spawns) pass; none = the
   * owner, who may run any module.
   */
  serve (account: Account, defaultRoot?: () => AnchorClient, spawner?: Spawner): ExecutorClient {
    return serveExecutor({
      peerId: this.opts.peerId,
      spawn: async (r, signal) => await this.spawnRequested(r, signal, account, defaultRoot, spawner),
      ps: () => this.executor.ps(),
      proc: pid => this.serveProc(this.executor.proc(pid))
    })
  }

  /** A spawn an Executor capability was asked for: checked against the module rules, started here, its Proc served. */
  private async spawnRequested (r: ReadSpawn, signal: AbortSignal, account: Account, defaultRoot?: () => AnchorClient, spawner?: Spawner): Promise<ProcClient> {
    const hash = 'bytes' in r.module ? sha256(r.module.bytes) : r.module.hash
    // before anything is fetched or prepared
    const verified = await this.gate.admit(hash, r.signatures, spawner)
    const module = 'bytes' in r.module ? r.module : { hash, fetch: this.gate.checkedFetch(r.module.fetch, spawner === undefined ? 'the owner (API socket)' : `peer ${spawner.peer}`) }
    using own = r.root === undefined ? defaultRoot?.() : undefined
    const proc = await this.spawnHere({
      module,
      args: r.args,
      env: r.env,
      limits: r.limits as Partial<ProcLimits>,
      name: r.name,
      stdin: r.stdin ? 'chan' : undefined,
      output: r.detached ? 'log' : 'chan',
      onStep: r.onStep,
      account
    }, r.root ?? own, spawner, r.caps())
    if (verified.length > 0) await this.cache.keepSignatures(hash, verified)
    if (signal.aborted) { // the caller will never hear of it
      proc.kill('killed: its spawn was canceled')
      throw new Canceled('spawn canceled')
    }
    if (r.tied && spawner !== undefined) this.endWhenLost(proc, spawner.peer)
    return this.serveProc(proc, r.tied)
  }

  /**
   * Kills a tied proc (a guest's linked child, a foreground ww run) when the host that spawned it leaves the cluster:
   * a frozen or cut-off host keeps its connection open long after it stopped heartbeating. Only a peer that is a live
   * host when the proc starts is watched.
   */
  private endWhenLost (proc: Proc, peer: string): void {
    if (!this.opts.hosts([]).includes(peer)) return
    const ended = new AbortController()
    proc.onEnd(() => { ended.abort() })
    this.watch.lost(peer, ended.signal).catch(() => { proc.kill(SPAWNER_LOST) })
  }

  private serveProc (proc: Proc, tied = false): ProcClient {
    return serveProc(proc, this.opts.peerId, { tied, logReadBytes: this.executor.limits.logReadBytes })
  }

  async close (): Promise<void> {
    await this.executor.close()
    this.watch.close()
    for (const w of this.worlds.values()) w.close()
    this.worlds.clear()
    log('procs closed')
  }
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}
