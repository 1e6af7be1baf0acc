// The imports table: capabilities the peer hosts that we hold, keyed by the peer's export ids.
//
// Ids: the peer picks them (its exports). An entry is added when a received cap table or Resolve
// names senderHosted/senderPromise with an id we do not hold, and freed when the last reference
// to its ImportHook goes (we send Release with `remoteRefs`) or at disconnect (the hook breaks).
import { Disconnected, LimitExceeded } from '../errors.js'
import { ErrorHook } from './hooks.js'
import { IdTable } from './id-table.js'
import { ImportHook, type PeerCalls } from './peer-hooks.js'

export class ImportEntry {
  constructor (
    /** The one hook of this import; its own refcount counts our references (dup(), cap tables). */
    readonly hook: ImportHook,
    /** How many times the peer named this id to us: each descriptor +1; the Release we send says this many. */
    public remoteRefs: number
  ) {}
}

export class ImportTable {
  private readonly ids = new IdTable<ImportEntry>()

  constructor (private readonly owner: PeerCalls, private readonly max: number) {}

  get size (): number { return this.ids.size }

  get (id: number): ImportEntry | undefined { return this.ids.get(id) }

  /** The peer names its export `id` to us: a new reference to its import (made on first sight). */
  take (id: number, isPromise: boolean): ImportHook {
    const e = this.ids.get(id)
    if (e !== undefined) { e.remoteRefs++; return e.hook.addRef() as ImportHook }
    if (this.ids.size >= this.max) throw new LimitExceeded(`more than ${this.max} imports`)
    const hook = new ImportHook(this.owner, id, isPromise)
    this.ids.set(id, new ImportEntry(hook, 1))
    return hook
  }

  /** Our last reference to `hook` went: frees its entry; returns the count to Release (undefined if not current). */
  remove (hook: ImportHook): number | undefined {
    const entry = this.ids.get(hook.id)
    if (entry === undefined || entry.hook !== hook) return undefined
    this.ids.delete(hook.id)
    return entry.remoteRefs
  }

  /** At disconnect: every import breaks (calls on it fail with `lost`). */
  breakAll (lost: Disconnected): void {
    for (const [, e] of this.ids.entries()) { e.hook.broken = lost; e.hook.resolveTo(new ErrorHook(lost)) }
    this.ids.clear()
  }
}
