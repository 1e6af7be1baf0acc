// The exports table: capabilities of ours the peer holds, keyed by export ids we pick.
//
// Ids: the smallest free id (IdTable.add), one per capability (a capability exported twice keeps
// its id: `idOf`). An entry is added the first time a cap table (or a Resolve) names the
// capability as senderHosted/senderPromise, and freed when the peer's Releases (and the
// releaseParamCaps/releaseResultCaps of our Returns and its Finishes) bring `refs` to zero, or at
// disconnect; freeing it releases our reference to the capability.
import type { CapHook } from './hooks.js'
import { IdTable } from './id-table.js'
import { ProtocolError } from './protocol-error.js'
import { LimitExceeded } from '../errors.js'

/** Export ids a message's cap table made: lists only ever replaced, so one empty list serves all. */
export const NO_EXPORTS: readonly number[] = []

export class ExportEntry {
  constructor (
    /**
     * Our reference to the capability (one, however many the peer holds). A promise that resolved
     * to another promise not of this connection is replaced by it (see exportResolved).
     */
    public hook: CapHook,
    /** How many times we named this export in a cap table or Resolve: each is +1, the peer's Release(n) is −n. */
    public refs: number
  ) {}
}

export class ExportTable {
  private readonly ids = new IdTable<ExportEntry>()
  /** The export id of each exported capability (its resolved hook). */
  private readonly byHook = new Map<CapHook, number>()

  constructor (private readonly max: number) {}

  get size (): number { return this.ids.size }

  get (id: number): ExportEntry | undefined { return this.ids.get(id) }

  /** The export id of `hook` (resolved), if it is exported. */
  idOf (hook: CapHook): number | undefined { return this.byHook.get(hook) }

  /** Exports `hook` (taking a reference of its own) with one peer reference; returns the entry's id. */
  add (hook: CapHook): { id: number, entry: ExportEntry } {
    if (this.ids.size >= this.max) throw new LimitExceeded(`more than ${this.max} exports`)
    const entry = new ExportEntry(hook.addRef(), 1)
    const id = this.ids.add(entry)
    this.byHook.set(hook, id)
    return { id, entry }
  }

  /** The export `id` now stands for `hook` (a promise it resolved to): takes a reference to it, releases the old one. */
  retarget (id: number, entry: ExportEntry, hook: CapHook): void {
    this.byHook.delete(entry.hook)
    this.byHook.set(hook, id)
    const old = entry.hook
    entry.hook = hook.addRef()
    old.release()
  }

  /** The peer drops `count` references (a Release, or releaseParamCaps/releaseResultCaps). */
  release (id: number, count: number): void {
    const e = this.ids.get(id)
    if (e === undefined) throw new ProtocolError(`release of unknown export ${id}`)
    if (count > e.refs) throw new ProtocolError(`release of export ${id} by ${count} but it has ${e.refs} references`)
    e.refs -= count
    if (e.refs > 0) return
    this.ids.delete(id)
    this.byHook.delete(e.hook)
    e.hook.release()
  }

  /** One reference each (a message's cap table named each once). */
  releaseEach (ids: readonly number[]): void {
    for (const id of ids) this.release(id, 1)
  }

  /** At disconnect: every entry freed. */
  clear (): void {
    for (const [, e] of this.ids.entries()) e.hook.release()
    this.ids.clear()
    this.byHook.clear()
  }
}
