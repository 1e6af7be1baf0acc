import type { HostClient } from '../src/schema/host.rpc.js'
import { withHost } from './client.js'
import type { AnchorClient } from '../src/schema/anchor.rpc.js'
import { NotFound, Occupied } from '../src/errors.js'

export interface ReachedAnchor { anchor: AnchorClient, release: () => void }

/**
 * Walks the cluster root to `path` ("/<peer>/a/b", or "/peer/a/b" for the local host), creating
 * missing anchors. The anchor is pipelined: calls made on it travel with the walk. Both calls are
 * made only to pipeline on (no Return comes back for them), so the anchor works until release().
 */
export function walk (host: HostClient, path: string): ReachedAnchor {
  return reach(host, path, 'walk')
}

/** As walk, but reaches only an anchor that exists: calls on it fail NotFound ("no anchor ...") otherwise. */
export function lookup (host: HostClient, path: string): ReachedAnchor {
  return reach(host, path, 'lookup')
}

function reach (host: HostClient, path: string, how: 'walk' | 'lookup'): ReachedAnchor {
  const root = host.root(undefined, { onlyPipeline: true })
  const answer = root.pipeline.anchor[how](p => { p.path = path }, { onlyPipeline: true })
  return {
    anchor: answer.pipeline.anchor,
    release: () => { answer.release(); root.release() }
  }
}

/** Connects to the node at `homeFlag`, walks to `path` (creating it) and runs `fn` on the (pipelined) anchor. */
export async function withAnchor<T> (homeFlag: string | undefined, path: string, fn: (anchor: AnchorClient) => Promise<T>): Promise<T> {
  return await withReached(homeFlag, path, walk, fn)
}

/** As withAnchor, for an anchor that must exist: a missing one ends the command with "no anchor PATH" (exit 3). */
export async function withExistingAnchor<T> (homeFlag: string | undefined, path: string, fn: (anchor: AnchorClient) => Promise<T>): Promise<T> {
  return await withReached(homeFlag, path, lookup, fn)
}

async function withReached<T> (homeFlag: string | undefined, path: string, how: typeof walk,
  fn: (anchor: AnchorClient) => Promise<T>): Promise<T> {
  return await withHost(homeFlag, async host => {
    const at = how(host, path)
    try {
      return await fn(at.anchor)
    } catch (err) {
      throw inUserTerms(err, path)
    } finally {
      at.release()
    }
  })
}

/**
 * An anchor error as the user's path spells it. The node names anchors from the cluster root by
 * peer ID ("no anchor /12D3KooW.../typo"); the user may have written "/peer/typo/more".
 */
export function inUserTerms (err: unknown, path: string): unknown {
  if (err instanceof NotFound) {
    const missing = /^no anchor (\/\S*)$/.exec(err.message)
    if (missing !== null) return new NotFound(`no anchor ${sameDepth(path, missing[1])}`)
    if (/^anchor \S+ holds no value$/.test(err.message)) return new NotFound(`${path} holds no value`)
  }
  if (err instanceof Occupied) {
    const kind = /already holds an? (\w+) value$/.exec(err.message)?.[1]
    return new Occupied(`${path} already holds ${kind !== undefined ? `a ${kind}` : 'a'} value; use --force to replace it`)
  }
  return err
}

/** The leading part of `userPath` as deep as `nodePath` (both from the cluster root), or all of it. */
function sameDepth (userPath: string, nodePath: string): string {
  const user = userPath.split('/').filter(p => p !== '')
  const depth = nodePath.split('/').filter(p => p !== '').length
  return depth <= user.length ? '/' + user.slice(0, depth).join('/') : userPath
}
