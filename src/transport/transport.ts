// What the RPC layer needs from a byte stream: send whole frames, receive whole messages.
import type { FrameLimits, Segments } from './framing.js'

export interface TransportHandler {
  /** One complete message, as its segments. */
  message: (segments: Segments) => void
  /** The stream ended (err set when it failed, including bad framing). Called once. */
  closed: (err?: Error) => void
}

export interface MessageTransport {
  /** Starts delivering messages to the handler; framing is checked against the limits. */
  start: (handler: TransportHandler, limits: FrameLimits) => void
  /** Queues one frame; frames queued in the same tick are written together. */
  send: (frame: Uint8Array) => void
  /** Flushes what is queued, then closes the stream. */
  close: (err?: Error) => void
}
