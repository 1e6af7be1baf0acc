// Id tables: ids are small integers, reused after they are freed (as rpc.capnp expects).

export class IdTable<T> {
  private readonly slots: Array<T | undefined> = []
  private readonly free: number[] = []
  private count = 0

  get size (): number { return this.count }

  add (value: T): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.slots.length
    this.slots[id] = value
    this.count++
    return id
  }

  get (id: number): T | undefined { return this.slots[id] }

  delete (id: number): void {
    if (this.slots[id] === undefined) return
    this.slots[id] = undefined
    this.free.push(id)
    this.count--
  }

  * entries (): IterableIterator<[number, T]> {
    for (let i = 0; i < this.slots.length; i++) {
      const v = this.slots[i]
      if (v !== undefined) yield [i, v]
    }
  }
}

/** The first id of the questions made with Call.onlyPromisePipeline (the high bit set). */
export const PIPELINE_ONLY_IDS = 0x80000000

/**
 * The questions table. A call made with onlyPromisePipeline may never get a Return, so its id is
 * freed at our Finish, yet a peer that ignores the hint still sends one later. As rpc.capnp
 * advises, such calls take ids with the high bit set, in turn, reused only after all 2^31 went by,
 * so a late Return can never be taken for a newer call's.
 */
export class QuestionTable<T> {
  private readonly small = new IdTable<T>()
  private readonly pipelineOnly = new Map<number, T>()
  private wrapped = false

  /** `nextPipelineOnly`: the first pipeline-only id to give out (tests start near the wrap). */
  constructor (private nextPipelineOnly = PIPELINE_ONLY_IDS) {}

  get size (): number { return this.small.size + this.pipelineOnly.size }

  add (value: T, pipelineOnly: boolean): number {
    if (!pipelineOnly) return this.small.add(value)
    let id = this.nextPipelineOnly
    while (this.pipelineOnly.has(id)) id = next(id) // only after a wrap, past a question still open
    this.nextPipelineOnly = next(id)
    if (this.nextPipelineOnly === PIPELINE_ONLY_IDS) this.wrapped = true
    this.pipelineOnly.set(id, value)
    return id
  }

  /** Whether a pipeline-only id was ever given out (a late Return may name it; any other is a peer's error). */
  issued (id: number): boolean {
    return id >= PIPELINE_ONLY_IDS && (this.wrapped || id < this.nextPipelineOnly)
  }

  get (id: number): T | undefined { return id >= PIPELINE_ONLY_IDS ? this.pipelineOnly.get(id) : this.small.get(id) }

  delete (id: number): void {
    if (id >= PIPELINE_ONLY_IDS) this.pipelineOnly.delete(id)
    else this.small.delete(id)
  }

  * entries (): IterableIterator<[number, T]> {
    yield * this.small.entries()
    yield * this.pipelineOnly.entries()
  }
}

const next = (id: number): number => id === 0xffffffff ? PIPELINE_ONLY_IDS : id + 1

/** Ids below this are kept in an array (a peer reuses small ids, as rpc.capnp asks); others in a Map. */
export const DENSE_PEER_IDS = 4096

/**
 * A table keyed by ids the peer chooses (its question ids: our answers). Peers reuse the
 * smallest free ids, so most live in an array; a Map costs a hash and, as calls come and go, a
 * rehash of its table each time it grows or shrinks.
 */
export class PeerIdTable<T> {
  private readonly dense: Array<T | undefined> = []
  private readonly sparse = new Map<number, T>()
  private count = 0

  get size (): number { return this.count }

  get (id: number): T | undefined { return id < DENSE_PEER_IDS ? this.dense[id] : this.sparse.get(id) }

  has (id: number): boolean { return this.get(id) !== undefined }

  /** Adds or replaces the entry of `id`. */
  set (id: number, value: T): void {
    if (!this.has(id)) this.count++
    if (id < DENSE_PEER_IDS) {
      while (this.dense.length < id) this.dense.push(undefined) // no holes: the array stays packed
      this.dense[id] = value
    } else {
      this.sparse.set(id, value)
    }
  }

  delete (id: number): void {
    if (!this.has(id)) return
    this.count--
    if (id < DENSE_PEER_IDS) this.dense[id] = undefined
    else this.sparse.delete(id)
  }

  /** Every entry (a copy: the table may change while the caller goes through them). */
  values (): T[] {
    const out: T[] = []
    for (const v of this.dense) if (v !== undefined) out.push(v)
    for (const v of this.sparse.values()) out.push(v)
    return out
  }

  clear (): void {
    this.dense.length = 0
    this.sparse.clear()
    this.count = 0
  }
}
