// Building and reading SpawnRequest (schema proc.capnp), and the ModuleSource that ships a
// module's bytes to a host that lacks them.
import { ModuleNotFound } from '../errors.js'
import type { ModuleFetcher, ProcLimits } from '../proc/index.js'
import type { AnchorClient } from '../schema/anchor.rpc.js'
import { Module_Which, type SpawnRequest } from '../schema/proc.js'
import { Module$Caps, ModuleSourceClient, SpawnRequest$Caps } from '../schema/proc.rpc.js'

const hashHex = (h: Uint8Array): string => Buffer.from(h).toString('hex')

export interface SpawnSpec {
  /** The module's SHA-256; the receiver fetches the bytes from `source` when it lacks them. */
  hash: Uint8Array
  source?: ModuleSourceClient
  args?: string[]
  env?: string[]
  limits?: Partial<ProcLimits>
  root?: AnchorClient
  name?: string
  /** The proc reads its input from Proc.stdin (else its input is empty). */
  stdin?: boolean
}

export function writeSpawnRequest (r: SpawnRequest, spec: SpawnSpec): void {
  const m = r._initModule()
  m._initHash(spec.hash.byteLength).copyBuffer(spec.hash)
  if (spec.source !== undefined) Module$Caps.source.set(m, spec.source)
  const args = r._initArgs(spec.args?.length ?? 0)
  spec.args?.forEach((a, i) => args.set(i, a))
  const env = r._initEnv(spec.env?.length ?? 0)
  spec.env?.forEach((e, i) => env.set(i, e))
  const l = r._initLimits()
  l.memoryBytes = BigInt(spec.limits?.memoryBytes ?? 0)
  l.fuel = BigInt(spec.limits?.fuel ?? 0)
  l.timeoutMs = BigInt(spec.limits?.timeoutMs ?? 0)
  if (spec.root !== undefined) SpawnRequest$Caps.root.set(r, spec.root)
  if (spec.name !== undefined) r.name = spec.name
  r.stdin = spec.stdin === true
}

export interface ReadSpawn {
  module: { bytes: Uint8Array } | { hash: Uint8Array, fetch?: ModuleFetcher }
  args: string[]
  env: string[]
  limits: Partial<ProcLimits>
  name?: string
  stdin: boolean
  /** Borrowed: valid until the handler returns (dup to keep). */
  root?: AnchorClient
}

/** Reads a received SpawnRequest; the fetcher uses the borrowed source (call it before returning). */
export function readSpawnRequest (r: SpawnRequest): ReadSpawn {
  const m = r.module
  let module: ReadSpawn['module']
  if (m.which() === Module_Which.BYTES) {
    module = { bytes: m.bytes.toUint8Array().slice() }
  } else {
    const hash = m.hash.toUint8Array().slice()
    const source = Module$Caps.source.has(m) ? Module$Caps.source.get(m) : undefined
    module = {
      hash,
      fetch: async (h) => {
        if (source === undefined) throw new ModuleNotFound(`module ${hashHex(h)} is not on this host and the caller gave no source`)
        using ans = source.fetch(p => { p._initHash(h.byteLength).copyBuffer(h) })
        return (await ans).bytes.toUint8Array().slice()
      }
    }
  }
  const num = (x: bigint): number => Number(x)
  return {
    module,
    args: [...r.args],
    env: [...r.env],
    limits: r._hasLimits() ? { memoryBytes: num(r.limits.memoryBytes), fuel: num(r.limits.fuel), timeoutMs: num(r.limits.timeoutMs) } : {},
    name: r.name === '' ? undefined : r.name,
    stdin: r.stdin,
    root: SpawnRequest$Caps.root.has(r) ? SpawnRequest$Caps.root.get(r) : undefined
  }
}

/** Serves the bytes `lookup` finds by hash; ModuleNotFound for the rest. */
export function serveModuleSource (lookup: (hash: Uint8Array) => Promise<Uint8Array | undefined>): ModuleSourceClient {
  return ModuleSourceClient.serve({
    async fetch (params, results) {
      const hash = params.hash.toUint8Array().slice()
      const bytes = await lookup(hash)
      if (bytes === undefined) throw new ModuleNotFound(`module ${hashHex(hash)} is not here either`)
      results._initBytes(bytes.byteLength).copyBuffer(bytes)
    }
  })
}
