// The one table type behind all four tables and the embargoes. rpc.capnp ids are 32-bit and
// reused once freed, so most ids are small: those live in an array (a Map costs a hash per
// lookup and a rehash each time it grows or shrinks), the rest (ids the peer picks out of the
// dense range, our pipeline-only question ids) in a Map.
//
// A table is filled one of two ways: `add` (we pick the id: the smallest freed one, else the next;
// questions, exports, embargoes) or `set` (the peer picked it: answers, imports).

/** Ids the peer picks below this are kept in the array, others in the Map. */
export const DENSE_IDS = 4096

export class IdTable<T> {
  private readonly dense: Array<T | undefined> = []
  private readonly sparse = new Map<number, T>()
  /** Ids `add` freed, to give out again. */
  private readonly free: number[] = []
  /** Whether `add` picks this table's ids (a table of ids the peer picks keeps no free list). */
  private picking = false
  private count = 0

  get size (): number { return this.count }

  get (id: number): T | undefined { return id < this.dense.length ? this.dense[id] : this.sparse.get(id) }

  has (id: number): boolean { return this.get(id) !== undefined }

  /** Adds `value` under an id of our choosing (a freed one first) and returns it. */
  add (value: T): number {
    this.picking = true
    const id = this.free.length > 0 ? this.free.pop()! : this.dense.length
    this.dense[id] = value
    this.count++
    return id
  }

  /** Adds or replaces the entry of an id the peer (or a caller's own scheme) picked. */
  set (id: number, value: T): void {
    if (!this.has(id)) this.count++
    if (id < this.dense.length || id < DENSE_IDS) {
      while (this.dense.length < id) this.dense.push(undefined) // no holes: the array stays packed
      this.dense[id] = value
    } else {
      this.sparse.set(id, value)
    }
  }

  /** Frees `id` (for `add`, an id it gave out is given out again later). */
  delete (id: number): void {
    if (!this.has(id)) return
    this.count--
    if (id < this.dense.length) {
      this.dense[id] = undefined
      if (this.picking) this.free.push(id)
    } else {
      this.sparse.delete(id)
    }
  }

  /** Every entry with its id (a copy: the table may change while the caller goes through them). */
  entries (): Array<[number, T]> {
    const out: Array<[number, T]> = []
    for (let i = 0; i < this.dense.length; i++) {
      const v = this.dense[i]
      if (v !== undefined) out.push([i, v])
    }
    for (const e of this.sparse) out.push(e)
    return out
  }

  /** Every entry (a copy, as entries()). */
  values (): T[] { return this.entries().map((e) => e[1]) }

  clear (): void {
    this.dense.length = 0
    this.free.length = 0
    this.sparse.clear()
    this.count = 0
  }
}
