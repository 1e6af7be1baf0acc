// A proc's world on a cluster node: paths go through the proc's root Anchor (by default the
// cluster root, where "/peer" is this host and "/<peer>/..." another host over RPC; with --root a
// subtree it cannot walk out of); channels are local src/csp channels; spawn places children here
// or on another host (see host-procs.ts).
import { formatPath } from '../anchor/index.js'
import { writeValue } from '../caps/anchor-value.js'
import type { CapKind } from '../anchor/index.js'
import { NotFound } from '../errors.js'
import type { AnchorCap, AnchorValue, Cap, ChanCap, GuestEndpoints, GuestSpawnRequest, GuestWorld, HostEntry, ProcCap, RecverCap, ReplySlot } from '../proc/index.js'
import type { OpOptions } from '../csp/index.js'
import type { Capability } from '../rpc/index.js'
import type { AnchorClient } from '../schema/anchor.rpc.js'
import { Value$Caps } from '../schema/anchor.rpc.js'
import { Value_Which } from '../schema/anchor.js'
import { CapScope, exportCap } from './guest-caps.js'
import type { SpawnCap } from '../caps/spawn-request.js'
import { subscribeInto, type GuestPubSub } from './guest-pubsub.js'

const kindOfWhich = new Map<number, CapKind>([
  [Value_Which.CHAN, 'chan'], [Value_Which.SENDER, 'sender'], [Value_Which.RECVER, 'recver'],
  [Value_Which.CLOSER, 'closer'], [Value_Which.PROC, 'proc'], [Value_Which.ANCHOR, 'anchor'], [Value_Which.CAP, 'cap']
])

export interface WorldSpawner {
  /** Spawns a child for the proc whose world this is (`root` = its root anchor, null = the cluster root). */
  spawn: (req: GuestSpawnRequest, root: AnchorClient | null, scope: CapScope, opts?: OpOptions) => Promise<ProcCap>
}

/** What a proc learns of the cluster beyond anchors: this host, the live hosts, pubsub, what its spawner handed it. */
export interface WorldEnv {
  peerId: string
  hosts: (where: string[]) => HostEntry[]
  pubsub?: GuestPubSub
  /** Capabilities handed at spawn (taken over). */
  caps?: SpawnCap[]
  /** Named endpoints, as this proc uses them. */
  endpoints?: GuestEndpoints
}

export class ClusterWorld implements GuestWorld {
  readonly scope = new CapScope()
  /** Stops the proc's topic subscriptions. */
  private readonly subs = new Set<() => void>()
  private args: Cap[] | undefined

  readonly peerId?: () => string
  readonly hosts?: (where: string[]) => HostEntry[]
  readonly publish?: (topic: string, data: Uint8Array) => Promise<void>
  readonly subscribe?: (topic: string, buffer: number) => RecverCap
  readonly endpoints?: GuestEndpoints

  /** Takes over `root`; `confined` = it is not the cluster root. */
  constructor (private readonly root: AnchorClient, private readonly confined: boolean, private readonly spawner: WorldSpawner, env?: WorldEnv) {
    this.scope.hold(root)
    this.args = env?.caps?.map(c => this.scope.wrap(c.kind, c.cap))
    if (env === undefined) return
    this.peerId = () => env.peerId
    this.hosts = where => env.hosts(where)
    this.endpoints = env.endpoints
    const pubsub = env.pubsub
    if (pubsub === undefined) return
    this.publish = async (topic, data) => { await pubsub.join(topic).publish(data) }
    this.subscribe = (topic, buffer) => subscribeInto(pubsub, topic, buffer, this.subs)
  }

  argCaps (): Cap[] {
    const a = this.args ?? []
    this.args = undefined
    return a
  }

  /** Runs `fn` on the anchor at `path` (pipelined on a walk made only for that), then lets go of the walk. */
  private async at<T> (path: string[], fn: (a: AnchorClient) => Promise<T>): Promise<T> {
    if (path.length === 0) return await fn(this.root)
    const walk = this.root.walk(p => { p.path = formatPath(path) }, { onlyPipeline: true })
    try {
      return await fn(walk.pipeline.anchor)
    } finally { walk.release() }
  }

  async walk (path: string[], opts?: OpOptions): Promise<AnchorCap> {
    const signal = opts?.signal
    await this.at(path, async a => { using ans = a.path(undefined, { signal }); await ans })
    return { kind: 'anchor', path }
  }

  async ls (path: string[], opts?: OpOptions): Promise<string[]> {
    const signal = opts?.signal
    return await this.at(path, async a => {
      using ans = a.ls(undefined, { signal })
      return [...(await ans).children].map(c => c.name)
    })
  }

  async load (path: string[], opts?: OpOptions): Promise<AnchorValue> {
    const signal = opts?.signal
    return await this.at(path, async a => {
      using ans = a.load(undefined, { signal })
      const v = (await ans).value
      const which = v.which()
      if (which === Value_Which.EMPTY) throw new NotFound(`anchor ${formatPath(path)} holds nothing`)
      if (which === Value_Which.BYTES) return { bytes: v._hasBytes() ? v.bytes.toUint8Array().slice() : new Uint8Array(0) }
      return { cap: this.scope.wrap(kindOfWhich.get(which) ?? 'cap', Value$Caps.cap.get(v).dup()) }
    })
  }

  async store (path: string[], value: AnchorValue | undefined, overwrite: boolean, opts?: OpOptions): Promise<void> {
    let cap: Capability | undefined
    let release = (): void => {}
    let kind: CapKind | undefined
    if (value !== undefined && 'cap' in value) {
      const c: Cap = value.cap
      kind = c.kind
      if (c.kind === 'anchor') {
        const walk = this.root.walk(p => { p.path = formatPath(c.path) })
        cap = walk.pipeline.anchor
        release = () => { walk.release() }
      } else {
        const exported = await exportCap(c)
        cap = exported
        release = () => { exported.release() }
      }
    }
    try {
      const signal = opts?.signal
      await this.at(path, async a => {
        using ans = a.store(p => {
          p.overwrite = overwrite
          const v = p._initValue()
          if (value === undefined) writeValue(v, undefined)
          else if ('bytes' in value) writeValue(v, { kind: 'bytes', bytes: value.bytes })
          else writeValue(v, { kind: kind!, cap: cap! })
        }, { signal })
        await ans
      })
    } finally { release() }
  }

  chan (capacity: number): ChanCap {
    return this.scope.chan(capacity)
  }

  reply (): ReplySlot {
    return this.scope.reply()
  }

  /** A child's root is the proc's own, or `req.root` under it. */
  async spawn (req: GuestSpawnRequest, opts?: OpOptions): Promise<ProcCap> {
    if (req.root === undefined || req.root.length === 0) return await this.spawner.spawn(req, this.confined ? this.root : null, this.scope, opts)
    const walk = this.root.walk(p => { p.path = formatPath(req.root!) })
    try {
      return await this.spawner.spawn(req, walk.pipeline.anchor, this.scope, opts)
    } finally { walk.release() }
  }

  /** Releases everything the proc held (it ended). */
  close (): void {
    for (const c of this.argCaps()) c.ref?.release() // handed at spawn but never taken (the proc did not start)
    for (const stop of [...this.subs]) stop()
    this.scope.close()
  }
}
