// How a `ww` command ends: one exit code per kind of failure, the same for every command.
// README.md's "Exit codes" table is this one; test/cmd/exit-codes.test.ts holds them together.
import {
  AlreadyExists, Closed, Disconnected, InvalidArgument, LimitExceeded, ModuleNotFound, NotFound, PermissionDenied, Timeout, Unavailable, WwError
} from '../src/errors.js'

export const EXIT = {
  ok: 0,
  /** Anything not named below. */
  failed: 1,
  /** A bad command, option, argument or path: fix the command line. */
  usage: 2,
  /** What was named does not exist: a path, a value, a peer, a proc, a file, a module. */
  notFound: 3,
  /** Not allowed: by the node's policy, or by the file system. */
  permission: 4,
  /** Something is already there (a value at the anchor, a node on the home). */
  exists: 5,
  /** No node is running at the home, the node or a peer went away or cannot be reached, an address is taken. */
  unavailable: 69,
  /** A deadline passed (--timeout). */
  timeout: 124
} as const

/** Errors of the command line that are not errors of the node. */
export class UsageError extends WwError {}
export class NoNode extends WwError {}

/** The exit code for an error that ends a command. */
export function exitCodeOf (err: unknown): number {
  if (err instanceof InvalidArgument || err instanceof UsageError) return EXIT.usage
  if (err instanceof NotFound || err instanceof ModuleNotFound) return EXIT.notFound
  if (err instanceof PermissionDenied) return EXIT.permission
  if (err instanceof AlreadyExists) return EXIT.exists
  if (err instanceof NoNode || err instanceof Disconnected || err instanceof Unavailable) return EXIT.unavailable
  if (err instanceof Timeout) return EXIT.timeout
  if (err instanceof Closed || err instanceof LimitExceeded) return EXIT.failed
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === 'ENOENT') return EXIT.notFound
  if (code === 'EACCES' || code === 'EPERM') return EXIT.permission
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNREFUSED') return EXIT.unavailable
  return EXIT.failed
}
