// Typed errors shared by every layer. Each reaches the user as one line, "<name>: <message>",
// and crosses an RPC connection as an exception whose reason starts with its name, so the
// other side can rebuild the same type (see errorFromReason).

export class WwError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Something named does not exist: a peer, an anchor value, a pid, a module. */
export class NotFound extends WwError {}
/** The other side of a connection went away. */
export class Disconnected extends WwError {}
/** A deadline passed. */
export class Timeout extends WwError {}
/** The channel (or other resource) is closed. */
export class Closed extends WwError {}
/** A named limit was exceeded. */
export class LimitExceeded extends WwError {}
/** The caller gave up on the operation before it completed. */
export class Canceled extends WwError {}
/** Malformed input: a bad path, a bad argument, a malformed message. */
export class InvalidArgument extends WwError {}
/** Something is already there: a value at an anchor, a node on a home. */
export class AlreadyExists extends WwError {}
/** An anchor already holds a value and overwrite was not asked for. */
export class Occupied extends AlreadyExists {}
/** A module's bytes are nowhere to be found. */
export class ModuleNotFound extends WwError {}
/** The operation is not supported by this peer. */
export class Unimplemented extends WwError {}
/** The caller lacks the right to do this. */
export class PermissionDenied extends WwError {}
/** Something needed cannot be had now: an address in use, a peer that cannot be reached. */
export class Unavailable extends WwError {}

const byName: Record<string, new (message: string) => WwError> = {
  NotFound, Disconnected, Timeout, Closed, LimitExceeded, Canceled, InvalidArgument, Occupied, ModuleNotFound, Unimplemented,
  PermissionDenied, AlreadyExists, Unavailable
}

/** The reason string an error carries across RPC. */
export function reasonOf (err: unknown): string {
  if (err instanceof Error) return err instanceof WwError ? `${err.name}: ${err.message}` : err.message
  return String(err)
}

/** Rebuilds a typed error from a reason "<Name>: message"; unknown names give a plain WwError. */
export function errorFromReason (reason: string): WwError {
  const m = /^([A-Za-z]+): ([\s\S]*)$/.exec(reason)
  const Type = m !== null ? byName[m[1]] : undefined
  return Type !== undefined ? new Type(m![2]) : new WwError(reason)
}
