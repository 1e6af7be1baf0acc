// Every channel limit, with its default, in one place.

export interface ChanLimits {
  /** Largest buffer a channel may be created with. */
  maxCapacity: number
  /** Most senders that may wait for room on one channel at once; one more fails with LimitExceeded. */
  maxWaitingSenders: number
  /** Most receivers that may wait for a message on one channel at once; one more fails with LimitExceeded. */
  maxWaitingRecvers: number
  /** Largest message body the channel capabilities accept (the core Chan<T> does not look inside messages). */
  maxMessageBytes: number
  /**
   * Bytes of messages the channels of one host (process) may hold together, buffered or in waiting senders;
   * a send past it fails with LimitExceeded. Counted for channels that know their messages' sizes (the
   * Chan capabilities and guests' channels). The default size of hostChanBudget (byte-budget.ts).
   */
  maxBufferedBytes: number
}

export const DEFAULT_CHAN_LIMITS: Readonly<ChanLimits> = Object.freeze({
  maxCapacity: 65536,
  maxWaitingSenders: 4096,
  maxWaitingRecvers: 4096,
  maxMessageBytes: 1 << 20,
  maxBufferedBytes: 256 << 20
})
