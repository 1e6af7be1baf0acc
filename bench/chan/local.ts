// Local channel throughput: one sender and one receiver moving N messages through a Chan in
// this process, at capacities 0 (rendezvous), 16 and 1024; 8x8 at capacity 16.
// Reference, measured in the same run: the same N messages passed through a bare promise
// hand-off (one await per message on each side, no queueing), the floor any async channel pays.
//
// Prints:  chan.local_msgs_s: <msgs/s at capacity 16, 1x1>
//          chan.local.cap<C>_<S>x<R>_msgs_s: <msgs/s>
//          chan.local.over_promise_handoff: <ratio of the 1x1 capacity-16 figure to the reference>

import { Chan } from '../../src/csp/chan.js'

const N = Number(process.env.WW_BENCH_MESSAGES ?? 1_000_000)

async function throughput (capacity: number, nSenders: number, nRecvers: number): Promise<number> {
  const ch = new Chan<number>(capacity)
  const per = Math.floor(N / nSenders)
  const total = per * nSenders
  let received = 0
  const start = process.hrtime.bigint()
  const recvers = Array.from({ length: nRecvers }, async () => {
    try {
      for (;;) { await ch.recv(); received++ }
    } catch { /* closed */ }
  })
  await Promise.all(Array.from({ length: nSenders }, async () => {
    for (let i = 0; i < per; i++) await ch.send(i)
  }))
  ch.close()
  await Promise.all(recvers)
  const secs = Number(process.hrtime.bigint() - start) / 1e9
  if (received !== total) throw new Error(`lost messages: ${received} of ${total}`)
  return total / secs
}

/** A one-slot hand-off built from bare promises: the reference. */
async function promiseHandoff (): Promise<number> {
  let wake: ((v: number) => void) | undefined
  let ack: (() => void) | undefined
  const start = process.hrtime.bigint()
  const recver = (async () => {
    for (let i = 0; i < N; i++) {
      await new Promise<number>(resolve => { wake = resolve; ack?.() })
    }
  })()
  for (let i = 0; i < N; i++) {
    while (wake === undefined) await new Promise<void>(resolve => { ack = resolve })
    const w = wake
    wake = undefined
    w(i)
  }
  await recver
  return N / (Number(process.hrtime.bigint() - start) / 1e9)
}

async function best (runs: number, f: () => Promise<number>): Promise<number> {
  let top = 0
  for (let i = 0; i < runs; i++) top = Math.max(top, await f())
  return top
}

const reference = await best(3, promiseHandoff)
const results: Array<[string, number]> = []
for (const [cap, s, r] of [[0, 1, 1], [16, 1, 1], [1024, 1, 1], [16, 8, 8]]) {
  results.push([`cap${cap}_${s}x${r}`, await best(3, async () => await throughput(cap, s, r))])
}
const headline = results.find(([name]) => name === 'cap16_1x1')![1]
console.log(`chan.local_msgs_s: ${Math.round(headline)}`)
for (const [name, rate] of results) console.log(`chan.local.${name}_msgs_s: ${Math.round(rate)}`)
console.log(`chan.local.promise_handoff_msgs_s: ${Math.round(reference)}`)
console.log(`chan.local.over_promise_handoff: ${(headline / reference).toFixed(2)}`)
