// Chan: a buffered FIFO channel (capacity 0 = rendezvous), fair to many senders and many receivers.
//
// Delivery guarantee (the core; see README.md for what it means across RPC):
//
// - Every hand-off (sender -> buffer, buffer -> receiver, sender -> receiver) happens inside one
//   synchronous step of the event loop, and so does every withdrawal (an AbortSignal's 'abort'
//   listener runs synchronously inside controller.abort()). A waiter is on its wait list until one
//   of the two takes it off, and whichever runs first wins: the other finds it gone. Hence:
//     * send() resolves  <=> the message is in the buffer or was handed to exactly one receiver;
//       send() rejects    <=> the channel never took the message (the caller still owns it).
//     * recv() resolves with m <=> m was taken off the channel for this caller and for no other;
//       recv() rejects    <=> nothing was taken.
//   No message is lost and none is delivered twice, including at the rendezvous hand-off race.
// - An abort that fires after the hand-off does not undo it: the promise is already settled with
//   the message (or with success for a send). A caller that can no longer deliver a message it
//   received (an RPC whose caller went away after the hand-off) gives it back with putBack(),
//   which puts it at the front of the channel, so it is not lost and stays ahead of later messages.
// - Ownership: the channel owns a message from the moment send() resolves until recv() hands it
//   out. Messages still buffered when the channel is dropped are passed to the release hook.

import { logger } from '../log.js'
import { Canceled, Closed, InvalidArgument, LimitExceeded } from '../errors.js'
import { DEFAULT_CHAN_LIMITS, type ChanLimits } from './limits.js'
import { hostChanBudget, type ByteBudget } from './byte-budget.js'
import { hostChanTraffic, type ChanTraffic } from './traffic.js'
import { Ring } from './ring.js'
import { type AbortWatch, unwatchAbort, watchAbort } from './abort-watch.js'
import { WaitList, type Waiter } from './waitlist.js'

const log = logger('ww:csp')

export interface OpOptions {
  /** Aborting withdraws the operation if it has not completed yet. */
  signal?: AbortSignal
}

export interface Sender<T> {
  send (msg: T, opts?: OpOptions): Promise<void>
  offer (msg: T): boolean
}

export interface Recver<T> {
  recv (opts?: OpOptions): Promise<T>
  poll (): T | undefined
}

export interface Closer {
  close (): void
}

export interface ChanStat {
  capacity: number
  buffered: number
  waitingSenders: number
  waitingRecvers: number
  closed: boolean
}

export interface ChanOptions<T> {
  limits?: Partial<ChanLimits>
  /** Called once for each message the channel drops undelivered (buffered at drop()). */
  release?: (msg: T) => void
  /** A message's bytes: given, what the channel holds counts against `budget`. */
  sizeOf?: (msg: T) => number
  /** What the messages held count against (with sizeOf); default: the host's (hostChanBudget, maxBufferedBytes). */
  budget?: ByteBudget
  /** What counts the messages in and out (default: hostChanTraffic when sizeOf is given, else none). */
  traffic?: ChanTraffic
}

interface Pending<R> extends Waiter {
  resolve: (value: R) => void
  reject: (err: Error) => void
  /** The watch on the signal, if any. */
  watch: AbortWatch | undefined
}

interface SendWaiter<T> extends Pending<void> { msg: T }
type RecvWaiter<T> = Pending<T>

export class Chan<T> implements Sender<T>, Recver<T>, Closer {
  readonly capacity: number
  private readonly limits: Readonly<ChanLimits>
  private readonly releaseHook: ((msg: T) => void) | undefined
  private readonly buffer: Ring<T>
  private readonly senders = new WaitList<SendWaiter<T>>()
  private readonly recvers = new WaitList<RecvWaiter<T>>()
  private closed = false
  private dropped = false
  private readonly sizeOf: ((msg: T) => number) | undefined
  private readonly budget: ByteBudget | undefined
  private readonly traffic: ChanTraffic | undefined

  constructor (capacity = 0, opts: ChanOptions<T> = {}) {
    this.limits = opts.limits === undefined ? DEFAULT_CHAN_LIMITS : { ...DEFAULT_CHAN_LIMITS, ...opts.limits } // (frozen) a reply slot's per request
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new InvalidArgument(`channel capacity must be a non-negative integer, got ${String(capacity)}`)
    }
    if (capacity > this.limits.maxCapacity) {
      throw new LimitExceeded(`channel capacity ${capacity} exceeds maxCapacity ${this.limits.maxCapacity}`)
    }
    this.capacity = capacity
    this.releaseHook = opts.release
    this.sizeOf = opts.sizeOf
    this.budget = opts.sizeOf === undefined ? undefined : opts.budget ?? hostChanBudget
    this.traffic = opts.traffic ?? (opts.sizeOf === undefined ? undefined : hostChanTraffic)
    this.buffer = new Ring<T>(Math.min(capacity, 16))
  }

  send (msg: T, opts: OpOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Closed('channel is closed'))
    if (opts.signal?.aborted === true) return Promise.reject(canceled('send', opts.signal))
    if (this.offer(msg)) return Promise.resolve()
    if (this.senders.length >= this.limits.maxWaitingSenders) {
      return Promise.reject(new LimitExceeded(`more than maxWaitingSenders ${this.limits.maxWaitingSenders} senders waiting`))
    }
    if (this.budget === undefined) return this.wait(this.senders, 'send', opts.signal, { msg } as SendWaiter<T>)
    const size = this.sizeOf!(msg)
    if (!this.budget.fits(size)) return Promise.reject(this.budget.exceeded(size))
    this.budget.take(size) // a waiting sender's message is held too; given back if it is never taken
    return this.wait<void, SendWaiter<T>>(this.senders, 'send', opts.signal, { msg } as SendWaiter<T>).catch((err: unknown) => {
      this.budget!.give(size)
      throw err
    })
  }

  recv (opts: OpOptions = {}): Promise<T> {
    if (opts.signal?.aborted === true) return Promise.reject(canceled('recv', opts.signal))
    if (this.buffer.length > 0 || this.senders.length > 0) return Promise.resolve(this.take())
    if (this.closed) return Promise.reject(new Closed('channel is closed'))
    if (this.recvers.length >= this.limits.maxWaitingRecvers) {
      return Promise.reject(new LimitExceeded(`more than maxWaitingRecvers ${this.limits.maxWaitingRecvers} receivers waiting`))
    }
    return this.wait(this.recvers, 'recv', opts.signal, {} as RecvWaiter<T>)
  }

  /**
   * recv() told through callbacks instead of a promise, for a receiver that must learn of the hand-off in the same
   * synchronous step (a waiting guest made runnable at once). Exactly one of them is called, exactly once: at once
   * when a message is there (or recv() would reject), else inside the step that hands a message over (a sender's
   * send or offer) or withdraws the wait (close, the signal). They run inside other callers' steps, so they must
   * only do bookkeeping: never throw, never wait, never call back into this channel.
   */
  recvThen (opts: OpOptions, onMsg: (msg: T) => void, onErr: (err: Error) => void): void {
    const signal = opts.signal
    if (signal?.aborted === true) { onErr(canceled('recv', signal)); return }
    if (this.buffer.length > 0 || this.senders.length > 0) { onMsg(this.take()); return }
    if (this.closed) { onErr(new Closed('channel is closed')); return }
    if (this.recvers.length >= this.limits.maxWaitingRecvers) {
      onErr(new LimitExceeded(`more than maxWaitingRecvers ${this.limits.maxWaitingRecvers} receivers waiting`))
      return
    }
    const w = {} as RecvWaiter<T> // built as wait() builds its waiters: one shape on the list
    w.resolve = onMsg
    w.reject = onErr
    w.watch = signal === undefined
      ? undefined
      : watchAbort(signal, () => {
        if (!w.listed) return // handed over already
        this.recvers.remove(w)
        settle(w)
        onErr(canceled('recv', signal))
      })
    this.recvers.push(w)
  }

  /**
   * Sends without waiting, synchronously: hands `msg` to the longest-waiting receiver, or puts it in
   * the buffer if there is room and no sender waits before it. False when send() would wait (or the
   * channel is closed: send() tells which), and then nothing was taken. True means what a resolved
   * send() means: the channel owns the message.
   */
  offer (msg: T): boolean {
    if (this.closed) return false
    // A waiting receiver means the buffer is empty: hand the message straight over.
    const r = this.recvers.shift()
    if (r !== undefined) {
      settle(r)
      r.resolve(msg)
      if (this.traffic !== undefined) { this.traffic.sent++; this.traffic.received++ }
      return true
    }
    if (this.senders.length === 0 && this.buffer.length < this.capacity) {
      if (this.budget !== undefined) {
        const size = this.sizeOf!(msg)
        if (!this.budget.fits(size)) return false // send() then fails LimitExceeded
        this.budget.take(size)
      }
      this.buffer.push(msg)
      if (this.traffic !== undefined) this.traffic.sent++
      return true
    }
    return false
  }

  /** The message left the channel's keeping (handed out, or released). */
  private unhold (msg: T): void {
    if (this.budget !== undefined) this.budget.give(this.sizeOf!(msg))
  }

  /**
   * Takes a message that is there now, synchronously: the front of the buffer, or (rendezvous) the
   * longest-waiting sender's. Undefined when there is none (the channel may be empty or closed;
   * recv() tells which), and then nothing was taken. Same order and fairness as recv(): a message
   * is only ever there when no receiver is waiting, so polling overtakes nobody.
   */
  poll (): T | undefined {
    if (this.buffer.length > 0 || this.senders.length > 0) return this.take()
    return undefined
  }

  /** Takes the next message; the buffer or the sender list is non-empty. */
  private take (): T {
    if (this.traffic !== undefined) this.traffic.received++
    if (this.buffer.length > 0) {
      const msg = this.buffer.shift() as T
      this.unhold(msg)
      // Room was made: the longest-waiting sender's message moves into the buffer (unless
      // putBack overfilled it: a rendezvous sender still waits for a receiver of its own).
      const s = this.buffer.length < this.capacity ? this.senders.shift() : undefined
      if (s !== undefined) {
        settle(s)
        this.buffer.push(s.msg)
        s.resolve()
        if (this.traffic !== undefined) this.traffic.sent++
      }
      return msg
    }
    // Rendezvous (or an empty buffer with waiting senders, after putBack overfilled it once).
    const s = this.senders.shift() as SendWaiter<T>
    settle(s)
    s.resolve()
    if (this.traffic !== undefined) this.traffic.sent++
    this.unhold(s.msg)
    return s.msg
  }

  /**
   * Gives back a message that recv() handed out but its taker could not deliver. It goes to the
   * longest-waiting receiver, or to the front of the buffer (even past capacity, and even when the
   * channel is closed: receivers still drain it). On a dropped channel it is released.
   */
  putBack (msg: T): void {
    if (this.dropped) {
      this.release(msg)
      return
    }
    const r = this.recvers.shift()
    if (r !== undefined) {
      settle(r)
      r.resolve(msg)
      if (this.traffic !== undefined) this.traffic.received++
      return
    }
    if (this.budget !== undefined) this.budget.force(this.sizeOf!(msg))
    this.buffer.unshift(msg)
  }

  /** Later sends fail with Closed; receivers drain the buffer, then get Closed. Idempotent. */
  close (): void {
    if (this.closed) return
    this.closed = true
    log('close: %d buffered, %d senders and %d receivers waiting', this.buffer.length, this.senders.length, this.recvers.length)
    for (let s = this.senders.shift(); s !== undefined; s = this.senders.shift()) {
      settle(s)
      s.reject(new Closed('channel is closed'))
    }
    for (let r = this.recvers.shift(); r !== undefined; r = this.recvers.shift()) {
      settle(r)
      r.reject(new Closed('channel is closed'))
    }
  }

  /** Closes the channel and releases every message still buffered. Idempotent. */
  drop (): void {
    this.close()
    this.dropped = true
    for (const msg of this.buffer.drain()) {
      this.unhold(msg)
      this.release(msg)
    }
  }

  get isClosed (): boolean { return this.closed }

  stat (): ChanStat {
    return {
      capacity: this.capacity,
      buffered: this.buffer.length,
      waitingSenders: this.senders.length,
      waitingRecvers: this.recvers.length,
      closed: this.closed
    }
  }

  /** A view that can only send. */
  sender (): Sender<T> {
    return Object.freeze({ send: (msg: T, opts?: OpOptions) => this.send(msg, opts), offer: (msg: T) => this.offer(msg) })
  }

  /** A view that can only receive. */
  recver (): Recver<T> {
    return Object.freeze({ recv: (opts?: OpOptions) => this.recv(opts), poll: () => this.poll() })
  }

  /** A view that can only close. */
  closer (): Closer {
    return Object.freeze({ close: () => { this.close() } })
  }

  private wait<R, W extends Pending<R>> (list: WaitList<W>, op: string, signal: AbortSignal | undefined, w: W): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      w.resolve = resolve
      w.reject = reject
      w.watch = signal === undefined
        ? undefined
        : watchAbort(signal, () => {
          // Still listed: nobody took it, so withdrawing loses and duplicates nothing.
          // Not listed: the hand-off already happened and settled the promise; nothing to do.
          if (!w.listed) return
          list.remove(w)
          settle(w)
          reject(canceled(op, signal))
        })
      list.push(w)
    })
  }

  private release (msg: T): void {
    if (this.releaseHook === undefined) return
    try {
      this.releaseHook(msg)
    } catch (err) {
      log.error('release hook failed: %s', err)
    }
  }
}

/** Detaches a waiter's abort listener once it has been taken off its list. */
function settle (w: Pending<any>): void {
  if (w.watch !== undefined) unwatchAbort(w.watch)
  w.watch = undefined
}

function canceled (op: string, signal: AbortSignal): Canceled {
  return new Canceled(`${op} canceled`, { cause: signal.reason })
}
