// Exceptions on the wire (type + reason) <-> typed errors.
import { Disconnected, LimitExceeded, Unimplemented, errorFromReason, reasonOf, WwError } from '../errors.js'

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
  if (err instanceof LimitExceeded) return 'overloaded'
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
  else if (type === 'overloaded') err = new LimitExceeded(reason)
  else err = named
  Object.defineProperty(err, wireType, { value: type, enumerable: false })
  return err
}

export { reasonOf }

/** Writes `err` into an rpc.capnp Exception (its reason and wire type). */
export function writeException (e: { reason: string, type: number }, err: unknown): void {
  e.reason = reasonOf(err)
  e.type = exceptionTypeCode[exceptionTypeOf(err)]
}
