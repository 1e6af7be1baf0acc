// Sizes on the command line: bytes, or a number with k, m or g (KiB, MiB, GiB), in either case, optionally
// followed by B or iB (16M, 16m, 16MiB and 16MB all mean 16 MiB).
import { InvalidArgument } from '../src/errors.js'

const units: Record<string, number> = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 }

/** The bytes `text` names (`--flag` says which option, for the error). */
export function parseByteSize (text: string, flag: string): number {
  const m = /^([0-9]+)(?:([kmg])(?:i?b)?|b?)$/i.exec(text.trim())
  const bytes = m === null ? NaN : Number(m[1]) * units[(m[2] ?? '').toLowerCase()]
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InvalidArgument(`${flag} must be a positive number of bytes, optionally with k, m or g (KiB, MiB, GiB), got ${JSON.stringify(text)}`)
  }
  return bytes
}

/** `bytes` the way parseByteSize reads it back, in the largest unit that divides it. */
export function formatByteSize (bytes: number): string {
  for (const u of ['g', 'm', 'k']) if (bytes % units[u] === 0) return `${bytes / units[u]}${u}`
  return String(bytes)
}
