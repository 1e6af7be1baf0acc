// Modules are named by the SHA-256 of their bytes. The cache keeps, per hash, the original bytes
// (to ship to other hosts), the transformed bytes (transform.ts) and compiled modules per memory
// maximum; in memory (bounded, least recently used evicted) and on disk under `dir`:
//   <hash>.wasm        the original bytes (checked against the hash when read)
//   <hash>.<pipeline>.ww   seal ++ transformed, seal = HMAC-SHA256(seal.key, hash, pipeline, transformed)
//   <hash>.sig         the signatures of the module this host verified (module-signature.ts's file format)
//   seal.key           this cache's secret (mode 0600), made on first use
// A transformed file is trusted only with its seal: one copied from another module's file, or
// rewritten by anyone who cannot read seal.key, is refused (and rebuilt from the original), so a
// swapped file cannot make a spawn of one module run another's code. A corrupt or unreadable file
// is ignored and rebuilt. The files of all modules together are kept under RuntimeLimits.moduleCacheBytes
// (module-disk.ts): least recently used modules are evicted, never one in use (pinned, or loading).

import { createHash, createHmac, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '../log.js'
import { InvalidArgument, LimitExceeded, ModuleNotFound } from '../errors.js'
import { DEFAULT_RUNTIME_LIMITS, type RuntimeLimits } from './limits.js'
import { withMemoryMaximum } from './memory-limit.js'
import { asyncImportList, PIPELINE_VERSION } from './abi.js'
import { prewarmTransform, transformInWorker } from './transform-worker.js'
import { ModuleDisk } from './module-disk.js'
import { noteStartSection } from './wasm-start.js'
import { formatSignatureFile, parseSignatureFile, verifyModuleSignature, type ModuleSignature } from './module-signature.js'

const log = logger('ww:proc:cache')
// transform version + the async import list: a change to either makes old transformed files unused
const PIPELINE_ID = `${PIPELINE_VERSION}-${createHash('sha256').update(asyncImportList().join(',')).digest('hex').slice(0, 8)}`
const SEAL_BYTES = 32
const SEAL_KEY_FILE = 'seal.key'

/** Fetches a module's original bytes by hash from somewhere else (the spawner); ModuleNotFound if it can't. */
export type ModuleFetcher = (hash: Uint8Array) => Promise<Uint8Array>

/** The slow steps of loading a module: fetching its bytes from elsewhere, preparing them (the transform). */
export type PrepareStep = 'fetching' | 'preparing'
export type StepListener = (step: PrepareStep) => void

/** A load in progress; spawns that join it hear its steps too. */
interface Loading {
  promise: Promise<Entry>
  step?: PrepareStep
  listeners: Set<StepListener>
}

export function sha256 (bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}


/** Lowercase hex; in plain JS, since every spawn asks twice and a copy into a Buffer costs more than the hex itself. */
export function hashHex (hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex')
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b))
}

interface Entry {
  original: Uint8Array
  transformed: Uint8Array
  compiled: Map<number, Promise<WebAssembly.Module>>
  /** The compiled modules that are ready, for the synchronous fast path. */
  ready: Map<number, WebAssembly.Module>
  /** Verified signatures of the module. */
  signatures: ModuleSignature[]
}

export interface ModuleCacheOptions {
  /** Directory for the on-disk cache; none = memory only. */
  dir?: string
  limits?: Partial<RuntimeLimits>
}

export interface CacheStats { transforms: number, diskHits: number, memoryHits: number }

const sigKey = (s: ModuleSignature): string => Buffer.from(s.signer).toString('hex')

export class ModuleCache {
  private readonly dir: string | undefined
  private readonly limits: RuntimeLimits
  private readonly entries = new Map<string, Entry>()
  private readonly loading = new Map<string, Loading>()
  private transforming = 0
  private sealKey: Promise<Uint8Array> | undefined
  private readonly transformQueue: Array<() => void> = []
  private readonly pins = new Map<string, number>()
  private readonly disk: ModuleDisk | undefined
  readonly stats: CacheStats = { transforms: 0, diskHits: 0, memoryHits: 0 }

  constructor (opts: ModuleCacheOptions = {}) {
    this.dir = opts.dir
    this.limits = { ...DEFAULT_RUNTIME_LIMITS, ...opts.limits }
    this.disk = this.dir === undefined ? undefined : new ModuleDisk(this.dir, this.limits.moduleCacheBytes, key => this.inUse(key))
  }

  /** Bytes the module files on disk take together (0 without a directory). */
  async diskBytes (): Promise<number> {
    await this.disk?.ready()
    return this.disk?.bytes ?? 0
  }

  /** Keeps the module's files on disk while it is pinned (a proc runs it); unpin once for every pin. */
  pin (hash: Uint8Array): void {
    const key = hashHex(hash)
    this.pins.set(key, (this.pins.get(key) ?? 0) + 1)
    this.disk?.used(key)
  }

  unpin (hash: Uint8Array): void {
    const key = hashHex(hash)
    const n = (this.pins.get(key) ?? 1) - 1
    if (n > 0) this.pins.set(key, n)
    else this.pins.delete(key)
  }

  private inUse (key: string): boolean {
    return this.pins.has(key) || this.loading.has(key)
  }

  /**
   * Whether spawning `hash` needs neither fetching nor preparing it: it is in memory, being loaded, or
   * prepared on disk (a file that then fails its checks is prepared again all the same).
   */
  async holds (hash: Uint8Array): Promise<boolean> {
    const key = hashHex(hash)
    if (this.entries.has(key) || this.loading.has(key)) return true
    if (this.disk === undefined) return false
    return await this.disk.has(key, `${key}.${PIPELINE_ID}.ww`) && await this.disk.has(key, `${key}.wasm`)
  }

  /** The signatures of module `hash` this cache verified and kept (memory, else `<hash>.sig`, verified again). */
  async signatures (hash: Uint8Array): Promise<ModuleSignature[]> {
    const e = this.entries.get(hashHex(hash))
    if (e !== undefined) return e.signatures
    return await this.readSignatures(hash)
  }

  /**
   * Keeps `sigs` (verified by the caller) beside module `hash`, which must be in this cache: in memory and in
   * `<hash>.sig`. A signer's newer signature replaces its older one; at most maxModuleSignatures are kept.
   */
  async keepSignatures (hash: Uint8Array, sigs: readonly ModuleSignature[]): Promise<void> {
    const key = hashHex(hash)
    const e = this.entries.get(key)
    const had = e?.signatures ?? await this.readSignatures(hash)
    const known = new Set(had.map(s => sigKey(s) + Buffer.from(s.signature).toString('hex')))
    const fresh = sigs.filter(s => !known.has(sigKey(s) + Buffer.from(s.signature).toString('hex')))
    if (fresh.length === 0) return
    const bySigner = new Map(had.map(s => [sigKey(s), s]))
    for (const s of fresh) { bySigner.delete(sigKey(s)); bySigner.set(sigKey(s), s) }
    const kept = [...bySigner.values()].slice(-this.limits.maxModuleSignatures)
    if (e !== undefined) e.signatures = kept
    if (this.dir === undefined || this.disk === undefined || !await this.disk.has(key, `${key}.wasm`)) return
    const text = formatSignatureFile(kept)
    try {
      await atomicWrite(join(this.dir, `${key}.sig`), new TextEncoder().encode(text))
      await this.disk.wrote(key, `${key}.sig`, Buffer.byteLength(text))
    } catch (err) {
      log.error('could not write the signatures of module %s: %s', key, (err as Error).message)
    }
  }

  /** Adds module bytes (transforming them if new); returns their hash. */
  async add (bytes: Uint8Array, onStep?: StepListener): Promise<Uint8Array> {
    if (bytes.length > this.limits.maxModuleBytes) {
      throw new LimitExceeded(`module is ${bytes.length} bytes; the limit is ${this.limits.maxModuleBytes}`)
    }
    const hash = sha256(bytes)
    await this.entry(hash, async () => bytes, onStep)
    return hash
  }

  has (hash: Uint8Array): boolean {
    return this.entries.has(hashHex(hash))
  }

  /** The original bytes of a module held here (memory or disk), or undefined. */
  async original (hash: Uint8Array): Promise<Uint8Array | undefined> {
    const e = this.entries.get(hashHex(hash))
    if (e !== undefined) return e.original
    return await this.readOriginal(hash)
  }

  /**
   * A compiled module for `hash` with memory maximum `memoryBytes`. A hash not held here is read
   * from disk, else fetched with `fetcher`; ModuleNotFound when no one has it. `onStep` hears
   * the slow steps (fetching, preparing) as they begin.
   */
  async compiled (hash: Uint8Array, memoryBytes: number, fetcher?: ModuleFetcher, onStep?: StepListener): Promise<WebAssembly.Module> {
    const e = await this.entry(hash, async report => {
      if (fetcher === undefined) throw new ModuleNotFound(`module ${hashHex(hash)} is not on this host`)
      report('fetching')
      prewarmTransform() // the preparation's worker loads binaryen.js while the bytes arrive
      const bytes = await fetcher(hash)
      if (!sameBytes(sha256(bytes), hash)) throw new InvalidArgument(`fetched bytes do not match module ${hashHex(hash)}`)
      return bytes
    }, onStep)
    let p = e.compiled.get(memoryBytes)
    if (p === undefined) {
      const bytes = withMemoryMaximum(e.transformed, memoryBytes)
      p = WebAssembly.compile(bytes as BufferSource)
      e.compiled.set(memoryBytes, p)
      p.then(m => { noteStartSection(m, bytes); e.ready.set(memoryBytes, m) }, () => e.compiled.delete(memoryBytes))
    }
    return await p
  }

  /** The compiled module if it is already in memory (no waiting), else undefined. */
  ready (hash: Uint8Array, memoryBytes: number): WebAssembly.Module | undefined {
    const key = hashHex(hash)
    const e = this.entries.get(key)
    const m = e?.ready.get(memoryBytes)
    if (m !== undefined) this.stats.memoryHits++
    return m
  }

  private async entry (hash: Uint8Array, source: (report: StepListener) => Promise<Uint8Array>, onStep?: StepListener): Promise<Entry> {
    const key = hashHex(hash)
    const hit = this.entries.get(key)
    if (hit !== undefined) {
      this.stats.memoryHits++
      this.entries.delete(key) // re-insert: most recently used last
      this.entries.set(key, hit)
      this.disk?.used(key)
      return hit
    }
    let l = this.loading.get(key)
    if (l === undefined) {
      const loading: Loading = { promise: undefined as unknown as Promise<Entry>, listeners: new Set() }
      const report = (step: PrepareStep): void => {
        loading.step = step
        for (const fn of loading.listeners) fn(step)
      }
      loading.promise = this.load(hash, source, report).finally(() => this.loading.delete(key))
      this.loading.set(key, loading)
      l = loading
    }
    if (onStep === undefined) return await l.promise
    if (l.step !== undefined) onStep(l.step)
    l.listeners.add(onStep)
    try {
      return await l.promise
    } finally { l.listeners.delete(onStep) }
  }

  private async load (hash: Uint8Array, source: (report: StepListener) => Promise<Uint8Array>, report: StepListener): Promise<Entry> {
    const key = hashHex(hash)
    const original = await this.readOriginal(hash) ?? await source(report)
    let transformed = await this.readTransformed(key)
    if (transformed === undefined) {
      report('preparing')
      transformed = await this.transform(original)
      this.stats.transforms++
      await this.writeFiles(key, original, transformed)
    } else {
      this.stats.diskHits++
      this.disk?.used(key, `${key}.${PIPELINE_ID}.ww`)
    }
    const e: Entry = { original, transformed, compiled: new Map(), ready: new Map(), signatures: await this.readSignatures(hash) }
    this.entries.set(key, e)
    while (this.entries.size > this.limits.maxCachedModules) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
    }
    return e
  }

  /** The load pipeline in a worker, at most maxConcurrentTransforms at once. */
  private async transform (original: Uint8Array): Promise<Uint8Array> {
    if (this.transforming >= this.limits.maxConcurrentTransforms) {
      await new Promise<void>(resolve => this.transformQueue.push(resolve))
    }
    this.transforming++
    try {
      return await transformInWorker(original)
    } finally {
      this.transforming--
      this.transformQueue.shift()?.()
    }
  }

  private async readOriginal (hash: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.dir === undefined) return undefined
    try {
      const bytes = new Uint8Array(await readFile(join(this.dir, `${hashHex(hash)}.wasm`)))
      if (sameBytes(sha256(bytes), hash)) return bytes
      log('ignoring corrupt module file %s', hashHex(hash))
    } catch {}
    return undefined
  }

  private async readSignatures (hash: Uint8Array): Promise<ModuleSignature[]> {
    if (this.dir === undefined) return []
    const file = join(this.dir, `${hashHex(hash)}.sig`)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch {
      return []
    }
    try {
      const sigs = parseSignatureFile(text, file)
      const valid = sigs.filter(s => verifyModuleSignature(hash, s))
      if (valid.length === sigs.length) return valid
      log.error('module %s: %d of its kept signatures do not verify (the file was changed): ignoring them', hashHex(hash), sigs.length - valid.length)
      return valid
    } catch (err) {
      log.error('ignoring a malformed signature file: %s', (err as Error).message)
      await unlink(file).catch(() => {})
      return []
    }
  }

  private async readTransformed (key: string): Promise<Uint8Array | undefined> {
    if (this.dir === undefined) return undefined
    try {
      const file = new Uint8Array(await readFile(join(this.dir, `${key}.${PIPELINE_ID}.ww`)))
      const body = file.subarray(SEAL_BYTES)
      const sealed = file.length > SEAL_BYTES && sameBytes(await this.seal(key, body), file.subarray(0, SEAL_BYTES))
      if (sealed && WebAssembly.validate(body as BufferSource)) return body
      log.error('refusing transformed module %s: %s; preparing it again', key, sealed ? 'not valid WebAssembly' : 'its seal does not match (corrupt, or not written by this cache)')
    } catch {}
    return undefined
  }

  /** The seal of `transformed` as the prepared form of module `key` (see the top of this file). */
  private async seal (key: string, transformed: Uint8Array): Promise<Uint8Array> {
    this.sealKey ??= this.loadSealKey()
    return new Uint8Array(createHmac('sha256', await this.sealKey).update(`${key}.${PIPELINE_ID}\n`).update(transformed).digest())
  }

  private async loadSealKey (): Promise<Uint8Array> {
    const path = join(this.dir!, SEAL_KEY_FILE)
    try {
      const key = new Uint8Array(await readFile(path))
      if (key.length === SEAL_BYTES) return key
    } catch {}
    await mkdir(this.dir!, { recursive: true, mode: 0o700 })
    const key = new Uint8Array(randomBytes(SEAL_BYTES))
    await atomicWrite(path, key, 0o600)
    return key
  }

  private async writeFiles (key: string, original: Uint8Array, transformed: Uint8Array): Promise<void> {
    if (this.dir === undefined) return
    try {
      await mkdir(this.dir, { recursive: true })
      await atomicWrite(join(this.dir, `${key}.wasm`), original)
      const file = new Uint8Array(SEAL_BYTES + transformed.length)
      file.set(await this.seal(key, transformed), 0)
      file.set(transformed, SEAL_BYTES)
      await atomicWrite(join(this.dir, `${key}.${PIPELINE_ID}.ww`), file)
      await this.disk?.wrote(key, `${key}.wasm`, original.byteLength)
      await this.disk?.wrote(key, `${key}.${PIPELINE_ID}.ww`, file.byteLength)
    } catch (err) {
      log.error('could not write module cache for %s: %s', key, (err as Error).message)
    }
  }
}

async function atomicWrite (path: string, bytes: Uint8Array, mode?: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(tmp, bytes, { mode })
  await rename(tmp, path)
}
