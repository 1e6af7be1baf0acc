// Every limit of the capability servers in one place: how much one request may carry, how long a server waits.

export const capsLimits = {
  /** Most arguments a spawn request may carry (a longer list is refused with LimitExceeded before it is read). */
  spawnArgsMax: 4096,
  /** Most environment entries a spawn request may carry. */
  spawnEnvMax: 4096,
  /** Most module signatures a spawn request may carry (each costs the host one Ed25519 verification). */
  spawnSignaturesMax: 16,
  /** Most capabilities a spawn request may hand the proc (a guest's ww_spawn_with; see also RuntimeLimits.maxSpawnCaps). */
  spawnCapsMax: 16,
  /** Most `k=v` terms a View.ls (`ww ls / --where ...`) may carry. */
  lsWhereMax: 64,
  /** `ww deployments` waits this long for each host's report of its replicas. */
  deployReportTimeoutMs: 5_000
} as const
