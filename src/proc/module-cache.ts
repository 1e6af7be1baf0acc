// Modules are named by the SHA-256 of their bytes. The cache keeps, per hash, the original bytes
// (to ship to other hosts), the transformed bytes (transform.ts) and compiled modules per memory
// maximum; in memory (bounded, least recently used evicted) and on disk under `dir`:
//   <hash>.wasm        the original bytes (checked against the hash when read)
//   <hash>.<pipeline>.ww   seal ++ transformed, seal = HMAC-SHA256(seal.key, hash, pipeline, transformed)
//   seal.key           this cache's secret (mode 0600), made on first use
// A transformed file is trusted only with its seal: one copied from another module's file, or
// rewritten by anyone who cannot read seal.key, is refused (and rebuilt from the original), so a
// swapped file cannot make a spawn of one module run another's code. A corrupt or unreadable file
// is ignored and rebuilt.

import { createHash, createHmac, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { InvalidArgument, LimitExceeded, ModuleNotFound } from '../errors.js'
import { DEFAULT_RUNTIME_LIMITS, type RuntimeLimits } from './limits.js'
import { withMemoryMaximum } from './memory-limit.js'
import { asyncImportList, PIPELINE_VERSION } from './abi.js'
import { prewarmTransform, transformInWorker } from './transform-worker.js'

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

export function hashHex (hash: Uint8Array): string {
  return Buffer.from(hash).toString('hex')
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
}

export interface ModuleCacheOptions {
  /** Directory for the on-disk cache; none = memory only. */
  dir?: string
  limits?: Partial<RuntimeLimits>
}

export interface CacheStats { transforms: number, diskHits: number, memoryHits: number }

export class ModuleCache {
  private readonly dir: string | undefined
  private readonly limits: RuntimeLimits
  private readonly entries = new Map<string, Entry>()
  private readonly loading = new Map<string, Loading>()
  private transforming = 0
  private sealKey: Promise<Uint8Array> | undefined
  private readonly transformQueue: Array<() => void> = []
  readonly stats: CacheStats = { transforms: 0, diskHits: 0, memoryHits: 0 }

  constructor (opts: ModuleCacheOptions = {}) {
    this.dir = opts.dir
    this.limits = { ...DEFAULT_RUNTIME_LIMITS, ...opts.limits }
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
      p = WebAssembly.compile(withMemoryMaximum(e.transformed, memoryBytes) as BufferSource)
      e.compiled.set(memoryBytes, p)
      p.then(m => e.ready.set(memoryBytes, m), () => e.compiled.delete(memoryBytes))
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
    }
    const e: Entry = { original, transformed, compiled: new Map(), ready: new Map() }
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
