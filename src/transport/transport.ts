// What the RPC layer needs from a byte stream: send whole frames, receive whole messages.
import type { FrameLimits, Segments } from './framing.js'
import type { FrameFill, QueuedFill } from './batch-writer.js'

export interface TransportHandler {
  /** One complete message, as its segments. */
  message: (segments: Segments) => void
  /**
   * Optional: a one-segment message as a view of its segment in the received bytes, valid only
   * during this call (copy what must outlive it). Without it, such messages come through
   * `message`, copied into a buffer of their own.
   */
  segment?: (view: DataView) => void
  /** The stream ended (err set when it failed, including bad framing). Called once. */
  closed: (err?: Error) => void
}

export interface MessageTransport {
  /** Starts delivering messages to the handler; framing is checked against the limits. */
  start: (handler: TransportHandler, limits: FrameLimits) => void
  /**
   * Queues one frame; frames queued in the same tick are written together. A `lazy` frame may
   * wait for the next frame or the next macrotask (for messages nobody waits on, like Finish).
   */
  send: (frame: Uint8Array, lazy?: boolean) => void
  /**
   * Optional: queues a frame of `bytes` bytes that `fill` writes straight into the outgoing chunk
   * when the transport writes (so the frame needs no buffer of its own); what `fill` reads must not
   * change until then. Without it, callers use send().
   */
  sendWith?: (bytes: number, fill: FrameFill, lazy?: boolean) => void
  /** Optional: sendWith for a frame object that carries its size and its fill method (no closure per frame). */
  sendFrame?: (frame: QueuedFill, lazy?: boolean) => void
  /**
   * Optional: queues bytes written as they are, without a copy, after what was queued before
   * (part of a frame: a large segment after its header, queued with sendWith); the caller never
   * changes them again. Without it, callers copy them into a frame for send().
   */
  sendOwned?: (bytes: Uint8Array) => void
  /** Flushes what is queued, then closes the stream. */
  close: (err?: Error) => void
}
