import { Kind } from '../src/schema/anchor.js'

const kindNames = new Map(Object.entries(Kind).map(([k, v]) => [v as number, k.toLowerCase()]))

/** What an anchor holds, as `ls` prints it: empty, bytes, chan, ..., host. */
export const kindName = (k: number): string => kindNames.get(k) ?? 'unknown'
