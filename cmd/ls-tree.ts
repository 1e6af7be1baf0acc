// ww ls -R: every anchor below a path, found by looking up each anchor that has children (and
// each host under "/"), a bounded number of lookups at a time.
import { DEFAULT_LIST_LIMITS } from '../src/anchor/limits.js'
import { parsePath } from '../src/anchor/path.js'
import { InvalidArgument, LimitExceeded, NotFound } from '../src/errors.js'
import { Kind } from '../src/schema/anchor.js'
import type { AnchorClient } from '../src/schema/anchor.rpc.js'
import { withExistingAnchor } from './anchor-path.js'
import { exitCodeOf } from './exit-codes.js'
import { kindName } from './kind-names.js'
import { oneLine } from './one-line.js'

/** ls calls in flight at once (each on an anchor looked up with pipelining, so one round trip each). */
const LIST_CONCURRENCY = 32

export interface TreeEntry { path: string, kind: string, children: number }

interface Visit { anchor: AnchorClient, parts: string[], depth: number, host: boolean, release: () => void }

/** A host below the listed path that failed to answer (gone, unreachable, or refusing us): left out, the rest listed. */
export interface SkippedHost { path: string, err: Error }

export interface TreeListing { entries: TreeEntry[], complete: boolean, skipped: SkippedHost[] }

/**
 * Lists the anchors below `top` (whose path is `topParts`) down to `maxDepth` levels, at most
 * `maxEntries` of them, in depth-first name order. An anchor that goes away while being listed is
 * left out, and so is a host below `top` that fails to answer (in `skipped`); any other failure ends the listing.
 */
export async function listTree (top: AnchorClient, topParts: string[], limits: { maxDepth: number, maxEntries: number }): Promise<TreeListing> {
  const found: Array<{ parts: string[], kind: string, children: number }> = []
  const queue: Visit[] = [{ anchor: top, parts: topParts, depth: 0, host: false, release: () => {} }]
  const skipped: SkippedHost[] = []
  let complete = true

  /** Lists one anchor; queues a lookup of each child with children (made before `at` is released). */
  const visit = async (at: Visit): Promise<void> => {
    try {
      let children
      try {
        using ls = at.anchor.ls()
        children = [...(await ls).children].map(c => ({ name: c.name, kind: c.kind, children: c.children }))
      } catch (err) {
        if (at.depth > 0 && err instanceof NotFound) return // gone since its parent was listed
        if (at.depth > 0 && at.host) { skipped.push({ path: '/' + at.parts.join('/'), err: err as Error }); return }
        throw err
      }
      for (const c of children) {
        if (found.length >= limits.maxEntries) { complete = false; return }
        const parts = [...at.parts, c.name]
        found.push({ parts, kind: kindName(c.kind), children: c.children })
        if (at.depth + 1 < limits.maxDepth && (c.children > 0 || c.kind === Kind.HOST)) {
          const child = at.anchor.lookup(p => { p.path = c.name }, { onlyPipeline: true })
          queue.push({ anchor: child.pipeline.anchor, parts, depth: at.depth + 1, host: c.kind === Kind.HOST, release: () => { child.release() } })
        }
      }
    } finally {
      at.release()
    }
  }

  try {
    await new Promise<void>((resolve, reject) => {
      let active = 0
      let failed = false
      const pump = (): void => {
        while (!failed && active < LIST_CONCURRENCY && queue.length > 0) {
          active++
          visit(queue.shift()!).then(() => { active--; pump() }, (err: unknown) => { failed = true; reject(err) })
        }
        if (active === 0 && queue.length === 0) resolve()
      }
      pump()
    })
  } finally {
    for (const left of queue.splice(0)) left.release()
  }
  found.sort((a, b) => compareParts(a.parts, b.parts))
  skipped.sort((a, b) => a.path < b.path ? -1 : 1)
  return { entries: found.map(f => ({ path: '/' + f.parts.join('/'), kind: f.kind, children: f.children })), complete, skipped }
}

/** Depth-first order: a parent before its children, siblings by name. */
function compareParts (a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1
  }
  return a.length - b.length
}

/** `ww ls -R PATH [--depth N] [--json]`: one "path<TAB>kind" line per anchor, or one JSON array. */
export async function listRecursive (homeFlag: string | undefined, path: string, flags: { json?: boolean, depth?: string }): Promise<void> {
  const { maxListDepth, maxListEntries } = DEFAULT_LIST_LIMITS
  const depth = flags.depth === undefined ? maxListDepth : /^[0-9]+$/.test(flags.depth) ? Number(flags.depth) : NaN
  if (!(depth >= 1 && depth <= maxListDepth)) throw new InvalidArgument(`--depth must be an integer from 1 to ${maxListDepth} (maxListDepth), got ${flags.depth}`)
  const topParts = parsePath(path)
  const listing = await withExistingAnchor(homeFlag, path, async anchor => await listTree(anchor, topParts, { maxDepth: depth, maxEntries: maxListEntries }))
  if (flags.json === true) {
    process.stdout.write(JSON.stringify(listing.entries) + '\n')
  } else {
    process.stdout.write(listing.entries.map(e => `${e.path}\t${e.kind}\n`).join(''))
  }
  for (const s of listing.skipped) process.stderr.write(`ww: skipped host ${s.path}: ${oneLine(s.err.message)}\n`)
  if (listing.skipped.length > 0) process.exitCode = exitCodeOf(listing.skipped[0].err)
  if (!listing.complete) {
    throw new LimitExceeded(`${path} has more than ${maxListEntries} anchors below it (maxListEntries); the first ${maxListEntries} are listed: list a deeper path, or use --depth`)
  }
}
