// "k=v" meta tags and the `where` filter over them.
import { InvalidArgument } from '../errors.js'
import { clusterLimits } from './limits.js'

/** Checks one "k=v" pair (non-empty key, no newline, bounded size) and returns it. */
export function checkMetaPair (pair: string): string {
  const eq = pair.indexOf('=')
  if (eq <= 0) throw new InvalidArgument(`bad meta pair ${JSON.stringify(pair)}: expected k=v with a non-empty key`)
  if (Buffer.byteLength(pair) > clusterLimits.maxMetaEntryBytes) {
    throw new InvalidArgument(`meta pair longer than ${clusterLimits.maxMetaEntryBytes} bytes`)
  }
  if (/[\r\n\0]/.test(pair)) throw new InvalidArgument(`bad meta pair ${JSON.stringify(pair)}: control characters`)
  return pair
}

/** Checks a list of meta pairs; a later pair replaces an earlier one with the same key. */
export function normalizeMeta (pairs: readonly string[]): string[] {
  const byKey = new Map<string, string>()
  for (const pair of pairs) {
    checkMetaPair(pair)
    const key = pair.slice(0, pair.indexOf('='))
    byKey.delete(key)
    byKey.set(key, pair)
  }
  if (byKey.size > clusterLimits.maxMetaEntries) throw new InvalidArgument(`more than ${clusterLimits.maxMetaEntries} meta pairs`)
  return [...byKey.values()]
}

/** True when `meta` holds every pair of `where`. */
export function metaMatches (meta: readonly string[], where: readonly string[]): boolean {
  return where.every(pair => meta.includes(pair))
}
