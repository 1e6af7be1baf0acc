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
