// Every proc limit, with its default, in one place.

export const WASM_PAGE_BYTES = 65536

export interface ProcLimits {
  /** Largest linear memory a proc may grow to, in bytes. */
  memoryBytes: number
  /** Fuel budget (one unit per function entry, function return and loop iteration); 0 = unlimited. */
  fuel: number
  /** Wall-clock limit in milliseconds; 0 = none. */
  timeoutMs: number
}

export const DEFAULT_PROC_LIMITS: Readonly<ProcLimits> = Object.freeze({
  memoryBytes: 64 * 1024 * 1024,
  fuel: 0,
  timeoutMs: 0
})

export interface RuntimeLimits {
  /** Fuel a proc burns before it yields to the event loop (setImmediate). */
  fuelSlice: number
  /** Size of the asyncify scratch area carved from the guest's stack (or lent from its memory) when the SDK provides none. */
  asyncifyStackBytes: number
  /**
   * Most time procs' work that can wait (instantiating one, ~0.1-2 ms; running a guest's fuel slice after it was
   * preempted) takes in one turn of the event loop, in milliseconds: the rest waits for the next turn, so a burst
   * of spawns (a fork bomb) or a thousand busy guests leave the node answering others in between.
   */
  guestMsPerTurn: number
  /** Largest module accepted, in bytes. */
  maxModuleBytes: number
  /** Most procs one executor runs at once, whoever spawned them (a quota: `ww start --max-procs`). */
  maxProcs: number
  /** Most procs one spawning peer (an account, quota.ts) runs on this host at once (`--max-procs-per-peer`). */
  maxProcsPerPeer: number
  /** Most guest memory all procs on this host may be granted together: the sum of their memory limits (`--max-guest-memory`). */
  maxGuestMemoryBytes: number
  /** Most guest memory one spawning peer's procs may be granted together (`--max-guest-memory-per-peer`). */
  maxGuestMemoryBytesPerPeer: number
  /** Spawns one peer may start per second, on average (a token bucket; `--spawn-rate`). */
  spawnsPerSecondPerPeer: number
  /** Spawns one peer may start at once after a quiet spell: the bucket's size (`--spawn-burst`). */
  spawnBurstPerPeer: number
  /** Most capability handles one proc may hold. */
  maxHandles: number
  /** Longest path, argument list or message a guest may pass to a host call, in bytes. */
  maxGuestBuffer: number
  /** Longest error message kept for ww_last_error, in bytes. */
  maxErrorMessage: number
  /** Most channels one ww_select waits on. */
  maxSelectHandles: number
  /** Most capabilities one ww_spawn_with hands the child. */
  maxSpawnCaps: number
  /** Capacity (in chunks) of a proc's stdout/stderr channel when nobody supplied a sink. */
  stdioCapacity: number
  /** Most exited procs kept for ps/lookup after they end. */
  maxExitedKept: number
  /** What a proc's log keeps of each stream (stdout, stderr): its last this many bytes; older output is dropped. */
  logBytes: number
  /** Most bytes one read of a log returns (one Proc.log call). */
  logReadBytes: number
  /** Most log bytes kept for exited procs on one host, together; the oldest exited procs' logs go first. */
  maxExitedLogBytes: number
  /** Pids reserved on disk at a time (`<home>/pids`): a restart skips the rest of the block, so no pid is reused. */
  pidBlock: number
  /** Most modules kept compiled in memory (least recently used go first). */
  maxCachedModules: number
  /** Most load-pipeline worker threads at once (each needs ~100 MiB and a core). */
  maxConcurrentTransforms: number
  /**
   * Bytes the on-disk module cache (`<home>/modules`: originals, prepared files, signatures) may hold; past it the
   * least recently used modules not in use are evicted (`ww start --max-module-cache`).
   */
  moduleCacheBytes: number
  /** Most verified signatures kept per module. */
  maxModuleSignatures: number
  /**
   * Most spare instances kept: one instantiated ahead for each recently spawned module (without a wasm start
   * section), so that its next spawn skips instantiation; 0 = none (spares.ts; `ww start --max-spare-instances`).
   */
  maxSpareInstances: number
  /**
   * Most linear memory the spare instances hold together, in bytes (not charged to any account: no proc owns a spare;
   * `ww start --spare-memory`).
   */
  spareMemoryBytes: number
}

export const DEFAULT_RUNTIME_LIMITS: Readonly<RuntimeLimits> = Object.freeze({
  fuelSlice: 200_000,
  asyncifyStackBytes: 8192,
  guestMsPerTurn: 5,
  maxModuleBytes: 64 * 1024 * 1024,
  maxProcs: 1024,
  maxProcsPerPeer: 256,
  maxGuestMemoryBytes: 64 * 1024 * 1024 * 1024,
  maxGuestMemoryBytesPerPeer: 16 * 1024 * 1024 * 1024,
  spawnsPerSecondPerPeer: 20,
  spawnBurstPerPeer: 64,
  maxHandles: 4096,
  maxGuestBuffer: 16 * 1024 * 1024,
  maxErrorMessage: 1024,
  maxSelectHandles: 64,
  maxSpawnCaps: 16,
  stdioCapacity: 256,
  maxExitedKept: 1024,
  logBytes: 1024 * 1024,
  logReadBytes: 256 * 1024,
  maxExitedLogBytes: 64 * 1024 * 1024,
  pidBlock: 1024,
  maxCachedModules: 256,
  maxConcurrentTransforms: 2,
  moduleCacheBytes: 1024 * 1024 * 1024,
  maxModuleSignatures: 16,
  maxSpareInstances: 32,
  spareMemoryBytes: 4 * 1024 * 1024
})

/** Merges caller limits over the defaults; 0 or undefined memory means the default. */
export function procLimits (given: Partial<ProcLimits> = {}): ProcLimits {
  return {
    memoryBytes: given.memoryBytes !== undefined && given.memoryBytes > 0 ? given.memoryBytes : DEFAULT_PROC_LIMITS.memoryBytes,
    fuel: given.fuel ?? DEFAULT_PROC_LIMITS.fuel,
    timeoutMs: given.timeoutMs ?? DEFAULT_PROC_LIMITS.timeoutMs
  }
}
