// A growable ring buffer: O(1) push at the back, shift and unshift at the front.
// The channel's message buffer; an array with shift() would be O(n) per message.

export class Ring<T> {
  private slots: Array<T | undefined>
  private head = 0
  private count = 0

  constructor (initial = 16) {
    this.slots = new Array(Math.max(2, initial))
  }

  get length (): number { return this.count }

  push (item: T): void {
    if (this.count === this.slots.length) this.grow()
    this.slots[(this.head + this.count) % this.slots.length] = item
    this.count++
  }

  unshift (item: T): void {
    if (this.count === this.slots.length) this.grow()
    this.head = (this.head - 1 + this.slots.length) % this.slots.length
    this.slots[this.head] = item
    this.count++
  }

  /** Removes and returns the front item; undefined when empty. */
  shift (): T | undefined {
    if (this.count === 0) return undefined
    const item = this.slots[this.head]
    this.slots[this.head] = undefined
    this.head = (this.head + 1) % this.slots.length
    this.count--
    return item
  }

  /** Removes every item, front first. */
  drain (): T[] {
    const out: T[] = []
    while (this.count > 0) out.push(this.shift() as T)
    return out
  }

  private grow (): void {
    const next = new Array<T | undefined>(this.slots.length * 2)
    for (let i = 0; i < this.count; i++) next[i] = this.slots[(this.head + i) % this.slots.length]
    this.slots = next
    this.head = 0
  }
}
