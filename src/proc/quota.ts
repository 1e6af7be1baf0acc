// Quotas: what the procs of one host may hold, in all and per account (the spawning peer a proc is charged to).
// A spawn takes its share before any work is done (so spawns still preparing their module count too) and the
// share goes back when the proc ends, however it ends.

import { LimitExceeded } from '../errors.js'
import type { RuntimeLimits } from './limits.js'

/** Who a proc is charged to: a peer ID, or OWNER. */
export type Account = string

/** The node's owner (its API socket): bound by the host-wide quotas only, not by the per-peer ones. */
export const OWNER: Account = 'owner'

export type QuotaLimits = Pick<RuntimeLimits, 'maxProcs' | 'maxProcsPerPeer' | 'maxGuestMemoryBytes' | 'maxGuestMemoryBytesPerPeer' |
'spawnsPerSecondPerPeer' | 'spawnBurstPerPeer'>

/** The `ww start` flag that raises each quota (named in the error a spawn past it fails with). */
const FLAGS: Record<keyof QuotaLimits, string> = {
  maxProcs: '--max-procs',
  maxProcsPerPeer: '--max-procs-per-peer',
  maxGuestMemoryBytes: '--max-guest-memory',
  maxGuestMemoryBytesPerPeer: '--max-guest-memory-per-peer',
  spawnsPerSecondPerPeer: '--spawn-rate',
  spawnBurstPerPeer: '--spawn-burst'
}

function exceeded (what: string, quota: keyof QuotaLimits, value: number): LimitExceeded {
  return new LimitExceeded(`${what} (${quota} ${value}; ww start ${FLAGS[quota]} raises it)`)
}

const who = (account: Account): string => account === OWNER ? 'the owner' : `peer ${account}`

interface Usage {
  procs: number
  memoryBytes: number
  /** Spawn tokens left at `refilledMs`. */
  tokens: number
  refilledMs: number
}

/** What one charge holds; release() gives it back (once; later calls do nothing). */
export interface Share { release: () => void }

export class Quotas {
  private readonly usage = new Map<Account, Usage>()
  private procs = 0
  private memoryBytes = 0

  constructor (private readonly limits: QuotaLimits, private readonly now: () => number = () => performance.now()) {}

  /** Procs charged now, on the whole host or to one account. */
  procsOf (account?: Account): number {
    return account === undefined ? this.procs : this.usage.get(account)?.procs ?? 0
  }

  /** Guest memory granted now, on the whole host or to one account. */
  memoryOf (account?: Account): number {
    return account === undefined ? this.memoryBytes : this.usage.get(account)?.memoryBytes ?? 0
  }

  /** Charges one proc granted `memoryBytes` to `account`, or fails LimitExceeded naming the quota it would pass. */
  charge (account: Account, memoryBytes: number): Share {
    const l = this.limits
    this.sweep()
    const u = this.usageOf(account)
    const perPeer = account !== OWNER
    if (perPeer) this.takeToken(account, u)
    if (this.procs + 1 > l.maxProcs) throw exceeded(`this host runs ${this.procs} procs, its most`, 'maxProcs', l.maxProcs)
    if (perPeer && u.procs + 1 > l.maxProcsPerPeer) {
      throw exceeded(`${who(account)} runs ${u.procs} procs on this host, the most one peer may`, 'maxProcsPerPeer', l.maxProcsPerPeer)
    }
    if (this.memoryBytes + memoryBytes > l.maxGuestMemoryBytes) {
      throw exceeded(`a proc granted ${memoryBytes} bytes of memory would take this host's procs past ${l.maxGuestMemoryBytes} bytes (${this.memoryBytes} granted)`,
        'maxGuestMemoryBytes', l.maxGuestMemoryBytes)
    }
    if (perPeer && u.memoryBytes + memoryBytes > l.maxGuestMemoryBytesPerPeer) {
      throw exceeded(`a proc granted ${memoryBytes} bytes of memory would take ${who(account)}'s procs past ${l.maxGuestMemoryBytesPerPeer} bytes (${u.memoryBytes} granted)`,
        'maxGuestMemoryBytesPerPeer', l.maxGuestMemoryBytesPerPeer)
    }
    u.procs++
    u.memoryBytes += memoryBytes
    this.procs++
    this.memoryBytes += memoryBytes
    let held = true
    return {
      release: () => {
        if (!held) return
        held = false
        u.procs--
        u.memoryBytes -= memoryBytes
        this.procs--
        this.memoryBytes -= memoryBytes
        this.forgetIdle(account, u)
      }
    }
  }

  private usageOf (account: Account): Usage {
    let u = this.usage.get(account)
    if (u === undefined) {
      u = { procs: 0, memoryBytes: 0, tokens: this.limits.spawnBurstPerPeer, refilledMs: this.now() }
      this.usage.set(account, u)
    }
    return u
  }

  /** The token bucket: refills at spawnsPerSecondPerPeer up to spawnBurstPerPeer; a spawn takes one token, refused or not. */
  private takeToken (account: Account, u: Usage): void {
    const l = this.limits
    this.refill(u)
    if (u.tokens < 1) {
      throw exceeded(`${who(account)} starts spawns faster than this host allows: ${l.spawnsPerSecondPerPeer} per second, bursts of ${l.spawnBurstPerPeer}; try again later`,
        'spawnsPerSecondPerPeer', l.spawnsPerSecondPerPeer)
    }
    u.tokens--
  }

  private refill (u: Usage): void {
    const now = this.now()
    u.tokens = Math.min(this.limits.spawnBurstPerPeer, u.tokens + (now - u.refilledMs) / 1000 * this.limits.spawnsPerSecondPerPeer)
    u.refilledMs = now
  }

  /** Drops an account that holds nothing and whose bucket is full again: forgetting it changes nothing. */
  private forgetIdle (account: Account, u: Usage): void {
    if (u.procs > 0) return
    this.refill(u)
    if (u.tokens >= this.limits.spawnBurstPerPeer) this.usage.delete(account)
  }

  /** Accounts left with a part-empty bucket (refused spawns, quick exits) are forgotten once it is full, when many have piled up. */
  private sweep (): void {
    if (this.usage.size <= this.limits.maxProcs) return
    for (const [a, u] of this.usage) this.forgetIdle(a, u)
  }
}
