// The SpawnProgress capability (schema executor.capnp): told the slow steps of a spawn as they begin.
import type { PrepareStep } from '../proc/index.js'
import { SpawnProgressClient } from '../schema/executor.rpc.js'
import { wireStep } from './spawn-request.js'

/** Serves a SpawnProgress capability that hands each step to `onStep`. */
export function serveSpawnProgress (onStep: (step: PrepareStep) => void): SpawnProgressClient {
  const steps = new Map<number, PrepareStep>(Object.entries(wireStep).map(([k, v]) => [v, k as PrepareStep]))
  return SpawnProgressClient.serve({
    step (params) {
      const step = steps.get(params.step)
      if (step !== undefined) onStep(step)
    }
  })
}
