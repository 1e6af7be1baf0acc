// The size budget of the on-disk module cache: which files each module has there and how big they are,
// in least-recently-used order, and eviction of whole modules (every file named <hash>.*) once the
// directory holds more than the budget. A module in use (a proc runs it, it is being loaded) is never
// evicted, so the directory may exceed the budget while every module in it is in use.
//
// Recency is this process's: a module used (loaded, spawned) moves to the back. At start-up the order is
// the files' modification times, which a load from disk refreshes.
import { readdir, stat, unlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '../log.js'

const log = logger('ww:proc:cache')
const MODULE_FILE = /^([0-9a-f]{64})\./

export class ModuleDisk {
  /** Per module (hash hex): its files and their sizes; least recently used first. */
  private readonly modules = new Map<string, Map<string, number>>()
  private total = 0
  private scanned: Promise<void> | undefined
  private evicting: Promise<void> | undefined

  constructor (
    private readonly dir: string,
    private readonly budgetBytes: number,
    private readonly inUse: (key: string) => boolean
  ) {}

  /** Bytes the module files take together. */
  get bytes (): number { return this.total }

  /** Learns what the directory holds (once). */
  async ready (): Promise<void> {
    this.scanned ??= this.scan()
    await this.scanned
  }

  async has (key: string, file: string): Promise<boolean> {
    await this.ready()
    return this.modules.get(key)?.has(file) === true
  }

  /** Marks a module most recently used; `file`, when given, gets a new modification time (recency across restarts). */
  used (key: string, file?: string): void {
    const files = this.modules.get(key)
    if (files === undefined) return
    this.modules.delete(key)
    this.modules.set(key, files)
    if (file !== undefined) {
      const now = new Date()
      utimes(join(this.dir, file), now, now).catch(() => {})
    }
  }

  /** A file of module `key` was written with `bytes`; evicts least recently used modules past the budget. */
  async wrote (key: string, file: string, bytes: number): Promise<void> {
    await this.ready()
    const files = this.modules.get(key) ?? new Map<string, number>()
    this.total += bytes - (files.get(file) ?? 0)
    files.set(file, bytes)
    this.modules.set(key, files)
    this.used(key)
    await this.evict()
  }

  /** Evicts modules, least recently used first, until the files fit the budget or all that are left are in use. */
  async evict (): Promise<void> {
    while (this.evicting !== undefined) await this.evicting
    if (this.total <= this.budgetBytes) return
    this.evicting = (async () => {
      for (const [key, files] of [...this.modules]) {
        if (this.total <= this.budgetBytes) break
        if (this.inUse(key)) continue
        this.modules.delete(key)
        for (const [file, size] of files) {
          this.total -= size
          await unlink(join(this.dir, file)).catch(() => {})
        }
        log('evicted module %s from the disk cache (%d bytes left of %d)', key, this.total, this.budgetBytes)
      }
    })()
    try { await this.evicting } finally { this.evicting = undefined }
  }

  private async scan (): Promise<void> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch {
      return // no directory yet
    }
    const found: Array<{ key: string, files: Map<string, number>, newest: number }> = []
    const byKey = new Map<string, typeof found[number]>()
    for (const name of names) {
      const m = MODULE_FILE.exec(name)
      if (m === null) continue
      let st
      try { st = await stat(join(this.dir, name)) } catch { continue }
      if (!st.isFile()) continue
      let g = byKey.get(m[1])
      if (g === undefined) {
        g = { key: m[1], files: new Map(), newest: 0 }
        byKey.set(m[1], g)
        found.push(g)
      }
      g.files.set(name, st.size)
      g.newest = Math.max(g.newest, st.mtimeMs)
      this.total += st.size
    }
    found.sort((a, b) => a.newest - b.newest)
    for (const g of found) this.modules.set(g.key, g.files) // nothing else is recorded before the scan ends (wrote waits for it)
  }
}
