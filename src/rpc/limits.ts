// Every limit of the RPC layer, with its default, in one place.

export interface RpcLimits {
  /** Largest framed message accepted, in bytes (header included). */
  maxMessageBytes: number
  /** Most segments in one message. */
  maxSegments: number
  /** Words a reader may traverse in one message (guards against amplification via shared pointers). */
  traversalLimitWords: number
  /** Deepest pointer nesting a reader follows. */
  nestingDepth: number
  /** Outgoing questions in flight on one connection; more calls fail with LimitExceeded. */
  maxQuestions: number
  /** Incoming calls in flight on one connection; more aborts the connection. */
  maxAnswers: number
  /** Capabilities the peer may hold from us / we may hold from the peer on one connection. */
  maxExports: number
  maxImports: number
  /** Bytes of `-> stream` calls in flight on one capability before the producer waits. */
  streamWindowBytes: number
  /**
   * Bytes all connections in the process (the node's) may buffer together for messages not yet fully
   * arrived; a connection whose frame would pass it is aborted with LimitExceeded.
   */
  incompleteFramesBytes: number
  /** A message begun but not complete after this long aborts its connection (Timeout). */
  frameTimeoutMs: number
}

export const defaultRpcLimits: Readonly<RpcLimits> = Object.freeze({
  maxMessageBytes: 64 << 20,
  maxSegments: 512,
  traversalLimitWords: 8 << 20,
  nestingDepth: 64,
  maxQuestions: 65536,
  maxAnswers: 65536,
  maxExports: 1 << 20,
  maxImports: 1 << 20,
  streamWindowBytes: 256 << 10,
  incompleteFramesBytes: 256 << 20,
  frameTimeoutMs: 30_000
})

export function resolveLimits (partial?: Partial<RpcLimits>): RpcLimits {
  return { ...defaultRpcLimits, ...(partial ?? {}) }
}
