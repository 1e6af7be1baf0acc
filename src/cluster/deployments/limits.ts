// Every limit and default of deployments' desired state (records, placement), in one place.

export const deployLimits = {
  /** Most replicas one deployment may ask for (`ww deploy --replicas`, `ww scale`). */
  maxReplicas: 1_000,
  /** Most live deployments the cluster keeps; a record beyond them is refused where it is made and dropped where it arrives. */
  maxDeployments: 256,
  /** Most undeploy tombstones kept (the oldest go first); a tombstone keeps an older record of its name from coming back. */
  maxTombstones: 1_024,
  /** Largest encoded record (name, spec, args, env, signature). */
  maxRecordBytes: 64 * 1024,
  /** A deployment's name: 1-64 letters, digits, '.', '_' or '-'. */
  maxNameLength: 64,
  /** Most `--where` pairs of a deployment. */
  maxWhere: 16,
  /** Most arguments and environment entries of a deployment's spec (each). */
  maxArgs: 256
} as const

/** How records travel between hosts (gossip.ts). */
export const deploySyncLimits = {
  /** A host exchanges records with one random connected peer this often (anti-entropy: repairs what gossip missed). */
  syncIntervalMs: 10_000,
  /** An exchange that has not finished after this long is abandoned. */
  syncTimeoutMs: 10_000
} as const
