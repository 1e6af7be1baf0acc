// capnp-es refuses a read past a received message's traversal or nesting depth limit with a plain
// Error (its message starts with the code below); the peer and our own callers must see it as the
// limit it is, LimitExceeded, like every limit our own readers enforce (layout.ts, list-reads.ts).
import { LimitExceeded } from '../../errors.js'

/** capnp-es's codes: CAPNP-TS022 traversal limit exceeded, CAPNP-TS011 nesting depth limit exceeded. */
const READER_LIMIT_CODES = /^CAPNP-TS0(22|11) /

/** `err` as LimitExceeded when it is capnp-es refusing a read past a limit; otherwise `err` itself. */
export function readerLimitError (err: unknown): unknown {
  if (err instanceof Error && !(err instanceof LimitExceeded) && READER_LIMIT_CODES.test(err.message)) {
    return new LimitExceeded(`message reads past its limits: ${err.message}`)
  }
  return err
}
