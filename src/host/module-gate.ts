// What a spawn must pass before this host fetches or prepares its module: the module rules of the peer
// whose authority it runs with (module-rules.ts: allow-list by hash, allowed signers), and that peer's
// budget of preparations (a token bucket: modulePreparationsPerMinute new modules a minute). The owner (the
// API socket, and the procs it spawned) is exempt from both. Bytes a peer supplies for a module that do not
// match its hash are refused, and the peer is named in one rate-limited log line per event.
import { InvalidArgument, LimitExceeded, PermissionDenied } from '../errors.js'
import { hashHex, sha256, type ModuleCache, type ModuleFetcher } from '../proc/index.js'
import { formatSigner, verifyModuleSignature, type ModuleSignature } from '../proc/module-signature.js'
import type { ModuleRules } from './module-rules.js'

/** Whose authority a spawn runs with: a remote peer and the modules it may run. None = the owner. */
export interface Spawner {
  peer: string
  modules: ModuleRules
}

export interface ModuleGateOptions {
  /** New modules (neither held nor prepared here) one peer may make this host fetch and prepare per minute. */
  preparationsPerMinute: number
  /** Most lines about mismatched module bytes per minute; the rest are counted into the next line. */
  mismatchLinesPerMinute: number
  /** Told of bytes that did not match their module's hash: who sent them, and how many such events went unsaid before. */
  onMismatch?: (from: string, hash: string, unsaid: number) => void
  now?: () => number
}

interface Bucket { tokens: number, at: number }

const MINUTE_MS = 60_000
const sigId = (s: ModuleSignature): string => Buffer.from(s.signer).toString('hex') + Buffer.from(s.signature).toString('hex')

export class ModuleGate {
  private readonly buckets = new Map<string, Bucket>()
  private readonly now: () => number
  private mismatchWindow = { start: 0, lines: 0, unsaid: 0 }

  constructor (private readonly cache: ModuleCache, private readonly opts: ModuleGateOptions) {
    this.now = opts.now ?? Date.now
  }

  /**
   * Admits a spawn of module `hash` carrying `carried` signatures, for `spawner` (none: the owner), or throws
   * PermissionDenied (the module is not allowed) or LimitExceeded (too many new modules from this peer lately).
   * Returns the carried signatures that verified and this cache does not have yet: keep them once the module is in.
   */
  async admit (hash: Uint8Array, carried: readonly ModuleSignature[], spawner?: Spawner): Promise<ModuleSignature[]> {
    const restricted = spawner?.modules.restricted === true
    const known = restricted || carried.length > 0 ? await this.cache.signatures(hash) : []
    const knownIds = new Set(known.map(sigId))
    const unknown = carried.filter(s => !knownIds.has(sigId(s)))
    const fresh = unknown.filter(s => verifyModuleSignature(hash, s))
    if (spawner === undefined) return fresh
    if (restricted) {
      const signers = [...new Set([...known, ...fresh].map(s => formatSigner(s.signer)))]
      const why = spawner.modules.refusal(hashHex(hash), signers, unknown.length - fresh.length)
      if (why !== undefined) {
        throw new PermissionDenied(`module ${hashHex(hash)} may not run on this host for peer ${spawner.peer}: ${why}; the host's owner can allow it in the node's policy (allow-modules, allow-signers), or sign it (ww sign)`)
      }
    }
    if (!await this.cache.holds(hash)) this.takePreparation(spawner.peer)
    return fresh
  }

  /** `fetch` with its bytes checked against the hash asked for; a mismatch is refused and `from` ("peer <id>") logged. */
  checkedFetch (fetch: ModuleFetcher | undefined, from: string): ModuleFetcher | undefined {
    if (fetch === undefined) return undefined
    return async hash => {
      const bytes = await fetch(hash)
      if (!Buffer.from(sha256(bytes)).equals(Buffer.from(hash))) {
        this.mismatch(from, hashHex(hash))
        throw new InvalidArgument(`the bytes supplied for module ${hashHex(hash)} do not match its hash: refused`)
      }
      return bytes
    }
  }

  private takePreparation (peer: string): void {
    const perMinute = this.opts.preparationsPerMinute
    const now = this.now()
    const b = this.buckets.get(peer) ?? { tokens: perMinute, at: now }
    b.tokens = Math.min(perMinute, b.tokens + (now - b.at) * perMinute / MINUTE_MS)
    b.at = now
    if (b.tokens < 1) {
      const waitS = Math.ceil((1 - b.tokens) * MINUTE_MS / perMinute / 1000)
      throw new LimitExceeded(`peer ${peer} may make this host fetch and prepare at most ${perMinute} new modules a minute (modulePreparationsPerMinute): try again in ${waitS} s`)
    }
    b.tokens -= 1
    this.buckets.set(peer, b) // one per peer with exec that prepared a module
  }

  private mismatch (from: string, hash: string): void {
    const now = this.now()
    const w = this.mismatchWindow
    if (now - w.start >= MINUTE_MS) { w.start = now; w.lines = 0 }
    if (w.lines >= this.opts.mismatchLinesPerMinute) { w.unsaid++; return }
    w.lines++
    this.opts.onMismatch?.(from, hash, w.unsaid)
    w.unsaid = 0
  }
}
