// The guest world of one node on its own: an in-process anchor tree whose root lists this host,
// channels from src/csp, and children spawned on this executor. The host layer replaces it with
// the cluster-wide world (anchors over RPC, spawning on other hosts).

import { AnchorTree, formatPath } from '../anchor/index.js'
import { Chan } from '../csp/index.js'
import { NotFound, Unimplemented } from '../errors.js'
import { childLimits, PARENT_ENDED } from './child-limits.js'
import { procCap, type WorldContext } from './executor.js'
import { trySendNow } from './send-now.js'
import type { AnchorCap, AnchorValue, Cap, ChanCap, GuestSpawnRequest, GuestWorld, HostEntry, Message, ProcCap } from './world.js'

/** The name a proc uses for the host it runs on. */
export const PEER_ALIAS = 'peer'

export interface LocalWorldOptions {
  peerId: string
  tree?: AnchorTree<Cap>
  /** Tags of this host, for `k=v` placement. */
  tags?: Record<string, string>
}

export class LocalWorld {
  readonly tree: AnchorTree<Cap>
  readonly peerId: string
  readonly tags: Record<string, string>

  constructor (opts: LocalWorldOptions) {
    this.tree = opts.tree ?? new AnchorTree<Cap>()
    this.peerId = opts.peerId
    this.tags = opts.tags ?? {}
  }

  /** The world factory to give the Executor. */
  readonly forProc = (ctx: WorldContext): GuestWorld => new ProcWorld(this, ctx)

  /** Whether a spawn placement names this host. */
  placesHere (where: string): boolean {
    if (where === '' || where === this.peerId) return true
    if (!where.includes('=')) return false
    // '\n'-separated k=v pairs: all must match
    return where.split('\n').filter(p => p !== '').every(pair => {
      const eq = pair.indexOf('=')
      return eq > 0 && this.tags[pair.slice(0, eq)] === pair.slice(eq + 1)
    })
  }
}

class ProcWorld implements GuestWorld {
  constructor (private readonly world: LocalWorld, private readonly ctx: WorldContext) {}

  /** Proc path -> cluster path: under the proc's root; "/peer" names this host when the root is the cluster root. */
  private resolve (path: string[]): string {
    const full = this.ctx.root.length === 0 && path[0] === PEER_ALIAS ? [this.world.peerId, ...path.slice(1)] : path
    return formatPath([...this.ctx.root, ...full])
  }

  private withRef<T> (path: string[], fn: (ref: ReturnType<AnchorTree<Cap>['root']>) => T): T {
    const root = this.world.tree.root()
    try {
      const ref = root.walk(this.resolve(path))
      try { return fn(ref) } finally { ref.release() }
    } finally { root.release() }
  }

  async walk (path: string[]): Promise<AnchorCap> {
    return this.withRef(path, () => ({ kind: 'anchor', path }))
  }

  async ls (path: string[]): Promise<string[]> {
    return this.withRef(path, ref => ref.ls().map(c => c.name))
  }

  async load (path: string[]): Promise<AnchorValue> {
    return this.withRef(path, ref => {
      const v = ref.load()
      if (v === undefined) throw new NotFound(`anchor ${formatPath(path)} holds nothing`)
      return v.kind === 'bytes' ? { bytes: v.bytes.slice() } : { cap: v.cap }
    })
  }

  async store (path: string[], value: AnchorValue | undefined, overwrite: boolean): Promise<void> {
    this.withRef(path, ref => {
      ref.store(value === undefined ? undefined : 'bytes' in value ? { kind: 'bytes', bytes: value.bytes } : { kind: value.cap.kind, cap: value.cap }, { overwrite })
    })
  }

  chan (capacity: number): ChanCap {
    const c = new Chan<Message>(capacity)
    return {
      kind: 'chan',
      send: (msg, opts) => c.send(msg, opts),
      trySend: msg => trySendNow(c, msg),
      recv: (opts) => c.recv(opts),
      tryRecv: () => c.poll(),
      recvThen: (opts, sink) => { c.recvThen(opts, sink.onMessage, sink.onError) },
      close: () => c.close()
    }
  }

  peerId = (): string => this.world.peerId

  /** This host alone, when its tags match. */
  hosts = (where: string[]): HostEntry[] => {
    const meta = Object.entries(this.world.tags).map(([k, v]) => `${k}=${v}`)
    return where.every(pair => meta.includes(pair)) ? [{ peer: this.world.peerId, meta }] : []
  }

  async spawn (req: GuestSpawnRequest): Promise<ProcCap> {
    if ((req.caps?.length ?? 0) > 0 || (req.root?.length ?? 0) > 0) throw new Unimplemented('capability arguments and a root for the child need the cluster')
    if (!this.world.placesHere(req.where)) {
      if (req.where.includes('=')) throw new NotFound(`no host matches ${req.where}`)
      throw new Unimplemented(`spawning on another host (${req.where}) needs the cluster`)
    }
    const module = req.module.bytes !== undefined ? { bytes: req.module.bytes } : { hash: req.module.hash ?? new Uint8Array(0) }
    const proc = await this.ctx.executor.spawn({ module, args: req.args, env: req.env, limits: childLimits(this.ctx.limits, req.limits), root: this.ctx.root, account: this.ctx.account })
    if (req.detached !== true) this.ctx.executor.proc(this.ctx.pid).onEnd(() => { proc.kill(PARENT_ENDED) })
    return procCap(proc)
  }
}
