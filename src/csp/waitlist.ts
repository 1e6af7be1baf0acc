// An arrival-order list of waiters with O(1) removal from anywhere, so a waiter
// whose caller gives up can be withdrawn without scanning the list.

export interface Waiter {
  prev: Waiter | undefined
  next: Waiter | undefined
  /** Set while the waiter is on a list; cleared when it is taken or withdrawn. */
  listed: boolean
}

export class WaitList<W extends Waiter> {
  private first: W | undefined
  private last: W | undefined
  private count = 0

  get length (): number { return this.count }

  push (w: W): void {
    w.prev = this.last
    w.next = undefined
    if (this.last !== undefined) this.last.next = w
    else this.first = w
    this.last = w
    w.listed = true
    this.count++
  }

  /** Takes the longest-waiting waiter off the list. */
  shift (): W | undefined {
    const w = this.first
    if (w !== undefined) this.remove(w)
    return w
  }

  /** Withdraws a waiter; a no-op when it is no longer listed. */
  remove (w: W): void {
    if (!w.listed) return
    if (w.prev !== undefined) w.prev.next = w.next
    else this.first = w.next as W | undefined
    if (w.next !== undefined) w.next.prev = w.prev
    else this.last = w.prev as W | undefined
    w.prev = w.next = undefined
    w.listed = false
    this.count--
  }
}
