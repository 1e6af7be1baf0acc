// The `ww start` options that set the proc quotas (src/proc/quota.ts), their defaults from src/proc/limits.ts.
import { Option } from 'commander'
import { InvalidArgument } from '../src/errors.js'
import { DEFAULT_RUNTIME_LIMITS } from '../src/proc/limits.js'
import type { QuotaLimits } from '../src/proc/quota.js'
import { formatByteSize, parseByteSize } from './byte-size.js'

export interface QuotaFlags {
  maxProcs: string
  maxProcsPerPeer: string
  maxGuestMemory: string
  maxGuestMemoryPerPeer: string
  spawnRate: string
  spawnBurst: string
}

const d = DEFAULT_RUNTIME_LIMITS

export function quotaOptions (): Option[] {
  return [
    new Option('--max-procs <n>', 'procs this host runs at once, whoever spawned them (maxProcs)').default(String(d.maxProcs)),
    new Option('--max-procs-per-peer <n>', 'procs one remote peer\'s spawns may run here at once, their children included (maxProcsPerPeer)').default(String(d.maxProcsPerPeer)),
    new Option('--max-guest-memory <size>', 'memory all procs here may be granted together: the sum of their memory limits (maxGuestMemoryBytes); k, m, g suffixes').default(formatByteSize(d.maxGuestMemoryBytes)),
    new Option('--max-guest-memory-per-peer <size>', 'memory one remote peer\'s procs may be granted together (maxGuestMemoryBytesPerPeer)').default(formatByteSize(d.maxGuestMemoryBytesPerPeer)),
    new Option('--spawn-rate <per-second>', 'spawns one remote peer (its procs included) may start per second, on average (spawnsPerSecondPerPeer)').default(String(d.spawnsPerSecondPerPeer)),
    new Option('--spawn-burst <n>', 'spawns one remote peer may start at once after a quiet spell (spawnBurstPerPeer)').default(String(d.spawnBurstPerPeer))
  ]
}

function whole (text: string, flag: string): number {
  const n = Number(text)
  if (!/^\s*[0-9]+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgument(`${flag} must be a whole number of at least 1, got ${JSON.stringify(text)}`)
  return n
}

function rate (text: string, flag: string): number {
  const n = Number(text)
  if (!/^\s*[0-9.]+\s*$/.test(text) || !Number.isFinite(n) || n <= 0) throw new InvalidArgument(`${flag} must be a positive number of spawns per second, got ${JSON.stringify(text)}`)
  return n
}

/** The quotas the flags set; InvalidArgument naming the flag for a bad value. */
export function parseQuotas (f: QuotaFlags): QuotaLimits {
  return {
    maxProcs: whole(f.maxProcs, '--max-procs'),
    maxProcsPerPeer: whole(f.maxProcsPerPeer, '--max-procs-per-peer'),
    maxGuestMemoryBytes: parseByteSize(f.maxGuestMemory, '--max-guest-memory'),
    maxGuestMemoryBytesPerPeer: parseByteSize(f.maxGuestMemoryPerPeer, '--max-guest-memory-per-peer'),
    spawnsPerSecondPerPeer: rate(f.spawnRate, '--spawn-rate'),
    spawnBurstPerPeer: whole(f.spawnBurst, '--spawn-burst')
  }
}

/** The same flags as arguments (to start the node again in the background). */
export function quotaArgs (f: QuotaFlags): string[] {
  return ['--max-procs', f.maxProcs, '--max-procs-per-peer', f.maxProcsPerPeer, '--max-guest-memory', f.maxGuestMemory,
    '--max-guest-memory-per-peer', f.maxGuestMemoryPerPeer, '--spawn-rate', f.spawnRate, '--spawn-burst', f.spawnBurst]
}
