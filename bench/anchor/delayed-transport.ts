// A transport wrapper that holds every outgoing frame for a fixed time: a link with latency,
// so a benchmark can show what pipelining saves when the wire, not the CPU, dominates.

import type { MessageTransport } from '../../src/transport/index.js'

export function delayed (inner: MessageTransport, oneWayMs: number): MessageTransport {
  if (oneWayMs <= 0) return inner
  return {
    start: (handler, limits) => { inner.start(handler, limits) },
    send: (frame) => { setTimeout(() => { inner.send(frame) }, oneWayMs) },
    close: (err) => { setTimeout(() => { inner.close(err) }, oneWayMs) }
  }
}
