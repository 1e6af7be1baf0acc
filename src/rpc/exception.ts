// Exceptions on the wire (type + reason) <-> typed errors. The reason names the error ("Closed: ..."), so a ww peer
// rebuilds the same type; the exception type is for generic Cap'n Proto clients, which may retry on it, so it keeps
// the spec's meaning (the table is stated for clients in schema/host.capnp):
//   Disconnected  <-> disconnected   the connection or the capability's host went away: reconnect, then retry
//   Unimplemented <-> unimplemented  no such method or interface here
//   Unavailable   <-> overloaded     cannot be had now (e.g. a peer that cannot be reached): retry later, with backoff
//   everything else -> failed        permanent for this request: LimitExceeded, NotFound, InvalidArgument, Closed, ...
import { Disconnected, Unavailable, Unimplemented, errorFromReason, reasonOf, WwError } from '../errors.js'
import { readerLimitError } from './wire/reader-limits.js'

export type ExceptionType = 'failed' | 'overloaded' | 'disconnected' | 'unimplemented'
/** Wire numbers of Exception.Type in rpc.capnp. */
export const exceptionTypeCode: Record<ExceptionType, number> = { failed: 0, overloaded: 1, disconnected: 2, unimplemented: 3 }
const typeByCode: ExceptionType[] = ['failed', 'overloaded', 'disconnected', 'unimplemented']

const wireType = Symbol('ww.rpc.exceptionType')

/** The exception type an error travels with. */
export function exceptionTypeOf (err: unknown): ExceptionType {
  const t = (err as { [wireType]?: ExceptionType } | undefined)?.[wireType]
  if (t !== undefined) return t
  if (err instanceof Disconnected) return 'disconnected'
  if (err instanceof Unimplemented) return 'unimplemented'
  if (err instanceof Unavailable) return 'overloaded'
  return 'failed'
}

/** The typed error for an exception received from the peer. */
export function errorFromException (code: number, reason: string): WwError {
  const type = typeByCode[code] ?? 'failed'
  const named = errorFromReason(reason)
  let err: WwError
  if (named.constructor !== WwError) err = named
  else if (type === 'disconnected') err = new Disconnected(reason)
  else if (type === 'unimplemented') err = new Unimplemented(reason)
  else if (type === 'overloaded') err = new Unavailable(reason)
  else err = named
  Object.defineProperty(err, wireType, { value: type, enumerable: false })
  return err
}

export { reasonOf }

/** Writes `err` into an rpc.capnp Exception (its reason and wire type). */
export function writeException (e: { reason: string, type: number }, err: unknown): void {
  err = readerLimitError(err)
  e.reason = reasonOf(err)
  e.type = exceptionTypeCode[exceptionTypeOf(err)]
}
