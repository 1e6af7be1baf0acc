// The ops the anchor benches time against each other: one plain call on an anchor walked
// beforehand, and walk(path) -> load() -> value.sender.send(msg) issued together (walk and load
// made with onlyPipeline, so only send is answered; `plain`: without it, as the C++ reference's
// chain is, libcapnp 0.9 having no such hint) or one by one. And a floor for any chain of three
// calls: `three`, three plain calls on the walked anchor issued together, none waiting for another
// (no pipelining, no work in the handler). Where the three calls' CPU is most of a round trip (one
// process, or one vCPU for both ends), `three.over_rtt` is the least any three calls can cost.
import type { AnchorClient } from '../../src/schema/anchor.rpc.js'
import { writeMessage } from '../../src/caps/chan-message.js'
import { medians, type Op } from './rounds.js'

const payload = new TextEncoder().encode('ping')

export interface ChainOps {
  rtt: Op
  pipelined: Op
  plain: Op
  sequential: Op
  three: Op
  /** An untimed round trip on the same connection, run after every op (see rounds.ts). */
  settle: () => Promise<void>
}

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
  const path1 = async (): Promise<void> => { const a = anchor.path(); await a; a.release() }
  return {
    rtt: { run: path1 },
    settle: path1,
    three: {
      run: async () => {
        const calls = [anchor.path(), anchor.path(), anchor.path()]
        for (const c of calls) await c
        for (const c of calls) c.release()
      }
    },
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

export type Timings = Record<Exclude<keyof ChainOps, 'settle'>, number>

/** Median microseconds of every op, taking turns (see rounds.ts). */
export async function timeChain (ops: ChainOps, rounds: number, warmup: number): Promise<Timings> {
  const [rtt, pipelined, plain, sequential, three] = await medians([ops.rtt, ops.pipelined, ops.plain, ops.sequential, ops.three], rounds, warmup, ops.settle)
  return { rtt, pipelined, plain, sequential, three }
}

/** Prints `<prefix>.{rtt_us,pipelined_us,plain_us,sequential_us,three_us}<suffix>`, and each over rtt. */
export function reportChain (prefix: string, m: Timings, suffix = ''): void {
  console.log(`${prefix}.rtt_us${suffix}: ${m.rtt.toFixed(1)}`)
  console.log(`${prefix}.pipelined_us${suffix}: ${m.pipelined.toFixed(1)}`)
  console.log(`${prefix}.plain_us${suffix}: ${m.plain.toFixed(1)}`)
  console.log(`${prefix}.sequential_us${suffix}: ${m.sequential.toFixed(1)}`)
  console.log(`${prefix}.three_us${suffix}: ${m.three.toFixed(1)}`)
  console.log(`${prefix}.pipelined.over_rtt${suffix}: ${(m.pipelined / m.rtt).toFixed(2)}`)
  console.log(`${prefix}.plain.over_rtt${suffix}: ${(m.plain / m.rtt).toFixed(2)}`)
  console.log(`${prefix}.three.over_rtt${suffix}: ${(m.three / m.rtt).toFixed(2)}`)
}
