import type { HostClient } from '../src/schema/host.rpc.js'
import { withHost } from './client.js'
import type { AnchorClient } from '../src/schema/anchor.rpc.js'

/**
 * Walks the cluster root to `path` ("/<peer>/a/b", or "/peer/a/b" for the local host). The anchor is
 * pipelined: calls made on it travel with the walk. Both calls are made only to pipeline on (no
 * Return comes back for them), so the anchor works until release().
 */
export function walk (host: HostClient, path: string): { anchor: AnchorClient, release: () => void } {
  const root = host.root(undefined, { onlyPipeline: true })
  const answer = root.pipeline.anchor.walk(p => { p.path = path }, { onlyPipeline: true })
  return {
    anchor: answer.pipeline.anchor,
    release: () => { answer.release(); root.release() }
  }
}

/** Connects to the node at `homeFlag`, walks to `path` and runs `fn` on the (pipelined) anchor. */
export async function withAnchor<T> (homeFlag: string | undefined, path: string, fn: (anchor: AnchorClient) => Promise<T>): Promise<T> {
  return await withHost(homeFlag, async host => {
    const at = walk(host, path)
    try {
      return await fn(at.anchor)
    } finally {
      at.release()
    }
  })
}
