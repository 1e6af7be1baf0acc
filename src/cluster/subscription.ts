// A subscriber's bounded buffer: when it is full, the oldest message is dropped and counted.
import { InvalidArgument } from '../errors.js'
import { clusterLimits } from './limits.js'

export interface Delivery {
  data: Uint8Array
  /** Peer ID of the publisher. */
  from: string
}

export class Subscription implements AsyncIterable<Delivery> {
  /** Messages dropped because the buffer was full. */
  dropped = 0
  private readonly buffer: Delivery[] = []
  private head = 0
  private waiter: ((d: Delivery | undefined) => void) | undefined
  private closed = false

  constructor (readonly capacity: number, private readonly onClose: () => void = () => {}) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > clusterLimits.maxSubscriberBuffer) {
      throw new InvalidArgument(`subscriber buffer must be 1..${clusterLimits.maxSubscriberBuffer}, got ${capacity}`)
    }
  }

  get isClosed (): boolean { return this.closed }

  /** Messages waiting. */
  get length (): number { return this.buffer.length - this.head }

  /** Hands a message to the subscriber (never blocks). */
  push (d: Delivery): void {
    if (this.closed) return
    if (this.waiter !== undefined) {
      const w = this.waiter
      this.waiter = undefined
      w(d)
      return
    }
    if (this.length >= this.capacity) {
      this.head++
      this.dropped++
    }
    this.buffer.push(d)
    if (this.head > 1024 && this.head * 2 > this.buffer.length) {
      this.buffer.splice(0, this.head)
      this.head = 0
    }
  }

  /** The next message; undefined once the subscription is closed and drained. */
  async next (): Promise<Delivery | undefined> {
    if (this.length > 0) {
      const d = this.buffer[this.head]
      this.buffer[this.head++] = undefined as unknown as Delivery
      if (this.head === this.buffer.length) { this.buffer.length = 0; this.head = 0 }
      return d
    }
    if (this.closed) return undefined
    if (this.waiter !== undefined) throw new InvalidArgument('next() called again before the previous call resolved')
    return await new Promise(resolve => { this.waiter = resolve })
  }

  /** Stops delivery; a pending next() resolves with undefined. */
  close (): void {
    if (this.closed) return
    this.closed = true
    const w = this.waiter
    this.waiter = undefined
    w?.(undefined)
    this.onClose()
  }

  async * [Symbol.asyncIterator] (): AsyncIterator<Delivery> {
    try {
      while (true) {
        const d = await this.next()
        if (d === undefined) return
        yield d
      }
    } finally {
      this.close()
    }
  }
}

