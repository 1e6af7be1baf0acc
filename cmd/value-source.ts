// Where `ww store` takes its value from: --bytes, --file, or stdin; read with the value limit as a bound.
import { createReadStream } from 'node:fs'
import { InvalidArgument, NotFound, PermissionDenied } from '../src/errors.js'
import { UsageError } from './exit-codes.js'
import { readBounded } from './bounded-input.js'

export interface ValueFlags { bytes?: string, file?: string }

/** The value to store, at most `maxBytes` (maxValueBytes); a larger one fails before more than that is read. */
export async function valueFromInput (flags: ValueFlags, maxBytes: number): Promise<Uint8Array> {
  const over = (what: string) => () => new InvalidArgument(`${what} is over the value limit of ${maxBytes} bytes (maxValueBytes)`)
  if (flags.bytes !== undefined && flags.file !== undefined) throw new UsageError('give the value once: --bytes or --file, not both')
  if (flags.bytes !== undefined) {
    const bytes = Buffer.from(flags.bytes, 'utf8')
    if (bytes.byteLength > maxBytes) throw over(`--bytes (${bytes.byteLength} bytes)`)()
    return bytes
  }
  if (flags.file !== undefined) {
    const file = flags.file
    try {
      return await readBounded(createReadStream(file), maxBytes, over(`file ${file}`))
    } catch (err) {
      throw fileError(err, file)
    }
  }
  if (process.stdin.isTTY === true) {
    throw new UsageError('store needs a value: give --bytes DATA or --file FILE, or pipe it in (echo hi | ww store PATH)')
  }
  return await readBounded(process.stdin, maxBytes, over('the value on stdin'))
}

function fileError (err: unknown, file: string): unknown {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT': return new NotFound(`no file ${file}`)
    case 'EISDIR': return new InvalidArgument(`${file} is a directory: --file takes a file`)
    case 'EACCES': case 'EPERM': return new PermissionDenied(`cannot read ${file}: permission denied`)
    default: return err
  }
}
