// The ops the anchor benches time against each other: one plain call on an anchor walked
// beforehand, and walk(path) -> load() -> value.sender.send(msg) issued together or one by one.
import type { AnchorClient } from '../../src/schema/anchor.rpc.js'
import { writeMessage } from '../../src/csp/wire.js'
import type { Op } from './rounds.js'

const payload = new TextEncoder().encode('ping')

/** `drain` takes the sent message out of the channel (run untimed after each chain). */
export function chainOps (root: AnchorClient, path: string, anchor: AnchorClient, drain: () => Promise<void>): { rtt: Op, pipelined: Op, sequential: Op } {
  const walk = (onlyPipeline = false) => root.walk((p) => { p.path = path }, { onlyPipeline })
  const loadOf = (w: ReturnType<typeof walk>, onlyPipeline = false) => w.pipeline.anchor.load(undefined, { onlyPipeline })
  const sendOn = (l: ReturnType<typeof loadOf>) => l.pipeline.value.sender.send((p) => { writeMessage(p._initMsg(), { data: payload }) })
  return {
    rtt: { run: async () => { const a = anchor.path(); await a; a.release() } },
    pipelined: {
      run: async () => {
        const w = walk(true)
        const l = loadOf(w, true)
        const s = sendOn(l)
        await s
        for (const x of [s, l, w]) x.release()
      },
      after: drain
    },
    sequential: {
      run: async () => {
        const w = walk()
        await w
        const l = loadOf(w)
        await l
        const s = sendOn(l)
        await s
        for (const x of [s, l, w]) x.release()
      },
      after: drain
    }
  }
}
