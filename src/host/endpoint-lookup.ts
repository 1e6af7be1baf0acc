// Finding the live endpoints of a name across the cluster, and sending to one of them.
// This host's own come from its registry; another host's are asked of it (Endpoints.list, here only), and only of
// the hosts whose signed record lists the name. A host that does not answer in time is left out.
import { logger } from '../log.js'
import { checkEndpointName } from '../cluster/index.js'
import { writeMessage } from '../caps/chan-message.js'
import type { FoundEndpoint, LeftOutHost } from '../caps/endpoints.js'
import { Closed, Disconnected, NotFound, PermissionDenied, Unavailable } from '../errors.js'
import type { Capability } from '../rpc/index.js'
import type { SenderClient } from '../schema/channel.rpc.js'
import { Endpoint$Caps } from '../schema/endpoints.rpc.js'
import type { HostClient } from '../schema/host.rpc.js'
import type { EndpointRegistry } from './endpoint-registry.js'

const log = logger('ww:host:endpoints')

export type PickRule = 'round-robin' | 'random'

/** A live endpoint; `sender` is yours to release. */
export type { FoundEndpoint } from '../caps/endpoints.js'

export interface EndpointLookupOptions {
  self: string
  registry: EndpointRegistry
  /** Other live hosts whose record lists `name`. */
  servers: (name: string) => string[]
  /** A new reference to another host's Host. */
  hostOf: (peer: string) => Promise<HostClient>
  /** How long each host gets to answer a list. */
  listTimeoutMs: number
  /** How long a send remembers the endpoints it picked from (0: it looks them up every time). */
  sendCacheMs?: number
  random?: () => number
}

/** A host whose endpoints a lookup could not list, and why. */
export type { LeftOutHost } from '../caps/endpoints.js'

/** Names whose round-robin position is remembered; past it the positions start over. */
const MAX_TURNS = 4096
/** Names whose endpoints a send remembers; past it the oldest is forgotten. */
const MAX_CACHED = 1024

interface Cached { key: string, found: FoundEndpoint[], timer: ReturnType<typeof setTimeout> }

export class EndpointLookup {
  private readonly turns = new Map<string, number>()
  private readonly cache = new Map<string, Cached>()

  constructor (private readonly o: EndpointLookupOptions) {}

  /** The live endpoints of `name`, in (peer, id) order. InvalidArgument for a bad name. */
  async find (name: string, signal?: AbortSignal): Promise<FoundEndpoint[]> {
    return (await this.search(name, signal)).found
  }

  /** `find`, with the hosts left out and why (a host that refused, or did not answer in time). */
  async search (name: string, signal?: AbortSignal): Promise<{ found: FoundEndpoint[], failures: LeftOutHost[] }> {
    const here = this.here(name)
    const failures: LeftOutHost[] = []
    const others = await Promise.all(this.o.servers(name).filter(p => p !== this.o.self).map(async peer => await this.ask(peer, name, failures, signal)))
    const found = [here, ...others].flat().sort((a, b) => a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    return { found, failures }
  }

  /** This host's endpoints of `name`, oldest first. InvalidArgument for a bad name. */
  here (name: string): FoundEndpoint[] {
    checkEndpointName(name)
    const now = Date.now()
    return this.o.registry.list(name).map(e => ({ peer: this.o.self, pid: e.pid, id: e.id, ageMs: now - e.since, sender: e.sender.dup() }))
  }

  /**
   * Sends `msg` (its capability borrowed) to one live endpoint of `name`, picked by `pick`; when that one fails
   * because its host or channel is gone (or the endpoint ended), the next in order. NotFound when none is live.
   * The endpoints a send picks from are remembered for sendCacheMs while the hosts serving the name and this
   * host's endpoints stay the same: a send then costs one call, not a lookup and a call. One that ended since
   * fails Closed (revocable-sender.ts) and the next send looks again.
   */
  async send (name: string, msg: { data: Uint8Array, cap: Capability | null }, pick: PickRule, signal?: AbortSignal): Promise<{ peer: string, pid: number, id: bigint }> {
    let t = await this.targets(name, signal)
    for (let attempt = 0; ; attempt++) {
      const now = t
      try {
        return await this.sendToOne(name, now.found, now.failures, msg, pick, signal)
      } catch (err) {
        // every remembered endpoint failed: look again, once
        if (!now.cached || attempt > 0 || !(err instanceof Unavailable) || signal?.aborted === true) throw err
        this.forget(name)
      } finally {
        if (!now.cached) for (const e of now.found) e.sender.release()
      }
      t = await this.targets(name, signal)
    }
  }

  private async sendToOne (name: string, found: FoundEndpoint[], leftOut: LeftOutHost[], msg: { data: Uint8Array, cap: Capability | null }, pick: PickRule, signal?: AbortSignal): Promise<{ peer: string, pid: number, id: bigint }> {
    if (found.length === 0) {
      const failures = leftOut.map(l => l.err)
      const refused = failures.find(err => err instanceof PermissionDenied)
      if (refused !== undefined) throw new PermissionDenied(`no endpoint named ${name} this host may reach: ${refused.message}`)
      if (failures.length > 0) throw new Unavailable(`no endpoint named ${name} could be reached: ${failures[0].message}`)
      throw new NotFound(`no live endpoint named ${name}: nothing in the cluster publishes it now`)
    }
    const first = pick === 'random' ? Math.floor((this.o.random ?? Math.random)() * found.length) : this.turn(name)
    let last: unknown
    for (let k = 0; k < found.length; k++) {
      const e = found[(first + k) % found.length]
      try {
        using to = e.sender.dup()
        using ans = to.send(p => { writeMessage(p._initMsg(), { data: msg.data, cap: msg.cap }) }, { signal })
        await ans
        return { peer: e.peer, pid: e.pid, id: e.id }
      } catch (err) {
        if (!(err instanceof Disconnected || err instanceof Unavailable || err instanceof Closed) || signal?.aborted === true) throw err
        log('endpoint %s %s/%d failed, trying the next: %s', name, e.peer, e.id, (err as Error).message)
        this.forget(name)
        last = err
      }
    }
    throw new Unavailable(`every endpoint named ${name} failed (${found.length}); the last: ${(last as Error).message}`)
  }

  /** What a send to `name` picks from: remembered (owned by the cache: do not release) or just looked up (yours). */
  private async targets (name: string, signal?: AbortSignal): Promise<{ found: FoundEndpoint[], failures: LeftOutHost[], cached: boolean }> {
    checkEndpointName(name)
    const key = `${this.o.servers(name).filter(p => p !== this.o.self).join(',')}#${this.o.registry.version}`
    const known = this.cache.get(name)
    if (known?.key === key) return { found: known.found, failures: [], cached: true }
    this.forget(name)
    const r = await this.search(name, signal)
    const cacheMs = this.o.sendCacheMs ?? 0
    if (r.found.length === 0 || r.failures.length > 0 || cacheMs <= 0 || this.cache.has(name)) return { ...r, cached: false }
    if (this.cache.size >= MAX_CACHED) this.forget(this.cache.keys().next().value!)
    const entry: Cached = { key, found: r.found, timer: setTimeout(() => { if (this.cache.get(name) === entry) this.forget(name) }, cacheMs) }
    entry.timer.unref?.()
    this.cache.set(name, entry)
    return { ...r, cached: true }
  }

  /** Drops what is remembered of `name`. */
  forget (name: string): void {
    const known = this.cache.get(name)
    if (known === undefined) return
    this.cache.delete(name)
    clearTimeout(known.timer)
    for (const e of known.found) e.sender.release()
  }

  close (): void {
    for (const name of [...this.cache.keys()]) this.forget(name)
  }

  /** The next round-robin position for `name`. */
  private turn (name: string): number {
    const t = this.turns.get(name) ?? 0
    if (this.turns.size >= MAX_TURNS && !this.turns.has(name)) this.turns.clear()
    this.turns.set(name, t + 1)
    return t
  }

  /** `peer`'s endpoints of `name`; none when it cannot say in time. */
  private async ask (peer: string, name: string, failures: LeftOutHost[], signal?: AbortSignal): Promise<FoundEndpoint[]> {
    const timer = new AbortController()
    const t = setTimeout(() => { timer.abort() }, this.o.listTimeoutMs)
    const both = signal === undefined ? timer.signal : AbortSignal.any([signal, timer.signal])
    try {
      using host = await this.o.hostOf(peer)
      using ep = host.endpoints(undefined, { onlyPipeline: true })
      using ans = ep.pipeline.endpoints.list(p => { p.name = name; p.here = true }, { signal: both })
      const list = (await ans).endpoints
      const out: FoundEndpoint[] = []
      for (let i = 0; i < list.length; i++) {
        const e = list.get(i)
        out.push({ peer, pid: e.pid, id: e.id, ageMs: Number(e.ageMs), sender: Endpoint$Caps.sender.get(e).dup() })
      }
      return out
    } catch (err) {
      if (signal?.aborted === true) throw err
      log('endpoints of %s on %s left out: %s', name, peer, (err as Error).message)
      failures.push({ peer, err: timer.signal.aborted ? new Unavailable(`host ${peer} did not answer within ${this.o.listTimeoutMs} ms`) : err as Error })
      return []
    } finally { clearTimeout(t) }
  }
}
