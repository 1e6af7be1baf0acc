// Building and reading SpawnRequest (schema executor.capnp): the module (bytes, or a hash and the ModuleSource
// to fetch it from), arguments, limits, root and capabilities of one spawn.
import { InvalidArgument, LimitExceeded, ModuleNotFound } from '../errors.js'
import type { Capability } from '../rpc/index.js'
import { setUnionTag } from '../rpc/wire/fields.js'
import type { ModuleFetcher, PrepareStep, ProcLimits } from '../proc/index.js'
import type { ModuleSignature } from '../proc/module-signature.js'
import type { AnchorClient } from '../schema/anchor.rpc.js'
import { Module_Which, SpawnCap_Which, SpawnStep, type SpawnRequest } from '../schema/executor.js'
import { Module$Caps, SpawnCap$Caps, SpawnRequest$Caps, type ModuleSourceClient, type SpawnProgressClient } from '../schema/executor.rpc.js'
import { capsLimits } from './limits.js'

const hashHex = (h: Uint8Array): string => Buffer.from(h).toString('hex')

export interface SpawnSpec {
  /** The module's SHA-256; the receiver fetches the bytes from `source` when it lacks them. */
  hash: Uint8Array
  source?: ModuleSourceClient
  /** Detached signatures of the module (ww sign), for hosts that allow only some modules. */
  signatures?: readonly ModuleSignature[]
  args?: string[]
  env?: string[]
  limits?: Partial<ProcLimits>
  root?: AnchorClient
  name?: string
  /** The proc reads its input from Proc.stdin (else its input is empty). */
  stdin?: boolean
  /** Kill the proc when the Proc the spawn returns is released (a foreground ww run). */
  tied?: boolean
  /** Output only to the proc's log, not to Proc.stdout/stderr channels (ww run -d). */
  detached?: boolean
  /** Told the slow steps of the spawn as they begin. */
  progress?: SpawnProgressClient
  /** Capabilities handed to the proc (ww_arg_cap), each with its kind; the request takes its own references. */
  caps?: SpawnCap[]
}

/** A capability handed to a proc at spawn. */
export interface SpawnCap { kind: SpawnCapKind, cap: Capability }
export type SpawnCapKind = 'chan' | 'sender' | 'recver' | 'proc'

const whichOfCap: Record<SpawnCapKind, SpawnCap_Which> = {
  chan: SpawnCap_Which.CHAN, sender: SpawnCap_Which.SENDER, recver: SpawnCap_Which.RECVER, proc: SpawnCap_Which.PROC
}
const capOfWhich = new Map<number, SpawnCapKind>(Object.entries(whichOfCap).map(([k, w]) => [w, k as SpawnCapKind]))

export function writeSpawnRequest (r: SpawnRequest, spec: SpawnSpec): void {
  const m = r._initModule()
  m._initHash(spec.hash.byteLength).copyBuffer(spec.hash)
  if (spec.source !== undefined) Module$Caps.source.set(m, spec.source)
  const sigs = spec.signatures ?? []
  if (sigs.length > 0) {
    const list = m._initSignatures(sigs.length)
    sigs.forEach((s, i) => {
      const w = list.get(i)
      w._initSigner(s.signer.byteLength).copyBuffer(s.signer)
      w._initSignature(s.signature.byteLength).copyBuffer(s.signature)
    })
  }
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
  r.tied = spec.tied === true
  r.detached = spec.detached === true
  if (spec.progress !== undefined) SpawnRequest$Caps.progress.set(r, spec.progress)
  if (spec.caps !== undefined && spec.caps.length > 0) {
    const list = r._initCaps(spec.caps.length)
    spec.caps.forEach((c, i) => {
      const w = list.get(i)
      // the generated accessors set the pointer only; the union tag is set here
      setUnionTag(w, 0, whichOfCap[c.kind])
      SpawnCap$Caps.chan.set(w, c.cap)
    })
  }
}

export interface ReadSpawn {
  module: { bytes: Uint8Array } | { hash: Uint8Array, fetch?: ModuleFetcher }
  /** The signatures the request carries, not yet verified. */
  signatures: ModuleSignature[]
  args: string[]
  env: string[]
  limits: Partial<ProcLimits>
  name?: string
  stdin: boolean
  tied: boolean
  detached: boolean
  /** Tells the spawner a step began (through the borrowed progress capability; call it before returning). */
  onStep?: (step: PrepareStep) => void
  /** Borrowed: valid until the handler returns (dup to keep). */
  root?: AnchorClient
  /** Read lazily (each a new reference, yours to release): call it before returning. */
  caps: () => SpawnCap[]
}

export const wireStep: Record<PrepareStep, SpawnStep> = { fetching: SpawnStep.FETCHING, preparing: SpawnStep.PREPARING }

/** Reads a received SpawnRequest; the fetcher uses the borrowed source (call it before returning). */
export function readSpawnRequest (r: SpawnRequest): ReadSpawn {
  const args = r.args
  const env = r.env
  if (args.length > capsLimits.spawnArgsMax) throw new LimitExceeded(`spawn request has ${args.length} arguments (limit ${capsLimits.spawnArgsMax})`)
  if (env.length > capsLimits.spawnEnvMax) throw new LimitExceeded(`spawn request has ${env.length} environment entries (limit ${capsLimits.spawnEnvMax})`)
  const m = r.module
  const sigList = m.signatures
  if (sigList.length > capsLimits.spawnSignaturesMax) throw new LimitExceeded(`spawn request carries ${sigList.length} module signatures (limit ${capsLimits.spawnSignaturesMax})`)
  const signatures = [...sigList].map(s => ({ signer: s.signer.toUint8Array().slice(), signature: s.signature.toUint8Array().slice() }))
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
  const progress = SpawnRequest$Caps.progress.has(r) ? SpawnRequest$Caps.progress.get(r) : undefined
  const capList = r._hasCaps() ? r.caps : undefined
  if (capList !== undefined && capList.length > capsLimits.spawnCapsMax) throw new LimitExceeded(`spawn request hands ${capList.length} capabilities (limit ${capsLimits.spawnCapsMax})`)
  return {
    module,
    signatures,
    args: [...args],
    env: [...env],
    limits: r._hasLimits() ? { memoryBytes: num(r.limits.memoryBytes), fuel: num(r.limits.fuel), timeoutMs: num(r.limits.timeoutMs) } : {},
    name: r.name === '' ? undefined : r.name,
    stdin: r.stdin,
    tied: r.tied,
    detached: r.detached,
    // a progress report is a courtesy: the spawn neither waits for it nor fails with it
    onStep: progress === undefined ? undefined : step => { progress.step(p => { p.step = wireStep[step] }).then(() => {}, () => {}) },
    root: SpawnRequest$Caps.root.has(r) ? SpawnRequest$Caps.root.get(r) : undefined,
    caps: () => {
      const out: SpawnCap[] = []
      try {
        for (const v of capList ?? []) {
          const kind = capOfWhich.get(v.which())
          if (kind === undefined) throw new InvalidArgument(`unknown spawn capability kind ${v.which()}`)
          if (!SpawnCap$Caps.chan.has(v)) throw new InvalidArgument(`a ${kind} handed at spawn without a capability`)
          out.push({ kind, cap: SpawnCap$Caps.chan.get(v).dup() })
        }
      } catch (err) {
        for (const c of out) c.cap.release()
        throw err
      }
      return out
    }
  }
}
