import type { HostClient } from '../src/schema/host.rpc.js'
import type { AnchorClient } from '../src/schema/anchor.rpc.js'
import type { Answer } from '../src/rpc/index.js'
import type { Anchor_Walk$Results } from '../src/schema/anchor.js'
import type { Anchor_Walk$Results$Pipeline } from '../src/schema/anchor.rpc.js'

/**
 * Walks the cluster root to `path` ("/<peer>/a/b", or "/peer/a/b" for the local host). The anchor is
 * pipelined: calls made on it travel with the walk. Release the answer when done.
 */
export function walk (host: HostClient, path: string): { answer: Answer<Anchor_Walk$Results, Anchor_Walk$Results$Pipeline>, anchor: AnchorClient, release: () => void } {
  const root = host.root()
  const answer = root.pipeline.anchor.walk(p => { p.path = path })
  return {
    answer,
    anchor: answer.pipeline.anchor,
    release: () => { answer.release(); root.release() }
  }
}
