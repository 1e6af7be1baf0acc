// The ops the anchor benches time against each other: one plain call on an anchor walked
// beforehand, and walk(path) -> load() -> value.sender.send(msg) issued together (walk and load
// made with onlyPipeline, so only send is answered; `plain`: without it, as the C++ reference's
// chain is, libcapnp 0.9 having no such hint) or one by one.
import type { AnchorClient } from '../../src/schema/anchor.rpc.js'
import { writeMessage } from '../../src/csp/wire.js'
import { medians, type Op } from './rounds.js'

const payload = new TextEncoder().encode('ping')

export interface ChainOps { rtt: Op, pipelined: Op, plain: Op, sequential: Op }

/** `drain` takes the sent message out of the channel (run untimed after each chain). */
export function chainOps (root: AnchorClient, path: string, anchor: AnchorClient, drain: () => Promise<void>): ChainOps {
  const walk = (onlyPipeline: boolean) => root.walk((p) => { p.path = path }, { onlyPipeline })
  const loadOf = (w: ReturnType<typeof walk>, onlyPipeline: boolean) => w.pipeline.anchor.load(undefined, { onlyPipeline })
  const sendOn = (l: ReturnType<typeof loadOf>) => l.pipeline.value.sender.send((p) => { writeMessage(p._initMsg(), { data: payload }) })
  const chain = (onlyPipeline: boolean): Op => ({
    run: async () => {
      const w = walk(onlyPipeline)
      const l = loadOf(w, onlyPipeline)
      const s = sendOn(l)
      await s
      for (const x of [s, l, w]) x.release()
    },
    after: drain
  })
  return {
    rtt: { run: async () => { const a = anchor.path(); await a; a.release() } },
    pipelined: chain(true),
    plain: chain(false),
    sequential: {
      run: async () => {
        const w = walk(false)
        await w
        const l = loadOf(w, false)
        await l
        const s = sendOn(l)
        await s
        for (const x of [s, l, w]) x.release()
      },
      after: drain
    }
  }
}

export type Timings = Record<keyof ChainOps, number>

/** Median microseconds of every op, taking turns (see rounds.ts). */
export async function timeChain (ops: ChainOps, rounds: number, warmup: number): Promise<Timings> {
  const [rtt, pipelined, plain, sequential] = await medians([ops.rtt, ops.pipelined, ops.plain, ops.sequential], rounds, warmup)
  return { rtt, pipelined, plain, sequential }
}

/** Prints `<prefix>.{rtt_us,pipelined_us,plain_us,sequential_us}<suffix>` and the ratios to rtt. */
export function reportChain (prefix: string, m: Timings, suffix = ''): void {
  console.log(`${prefix}.rtt_us${suffix}: ${m.rtt.toFixed(1)}`)
  console.log(`${prefix}.pipelined_us${suffix}: ${m.pipelined.toFixed(1)}`)
  console.log(`${prefix}.plain_us${suffix}: ${m.plain.toFixed(1)}`)
  console.log(`${prefix}.sequential_us${suffix}: ${m.sequential.toFixed(1)}`)
  console.log(`${prefix}.pipelined.over_rtt${suffix}: ${(m.pipelined / m.rtt).toFixed(2)}`)
  console.log(`${prefix}.plain.over_rtt${suffix}: ${(m.plain / m.rtt).toFixed(2)}`)
}
