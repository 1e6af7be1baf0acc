// A replica count on the command line (ww deploy --replicas, ww scale).
import { InvalidArgument, LimitExceeded } from '../src/errors.js'
import { deployLimits } from '../src/cluster/deployments/limits.js'

export function parseReplicas (text: string): number {
  const n = Number(text)
  if (!/^\s*[0-9]+\s*$/.test(text) || !Number.isSafeInteger(n)) throw new InvalidArgument(`replicas must be a whole number 0 or more, got ${JSON.stringify(text)}`)
  if (n > deployLimits.maxReplicas) throw new LimitExceeded(`${n} replicas is over the limit of ${deployLimits.maxReplicas} per deployment (maxReplicas)`)
  return n
}
