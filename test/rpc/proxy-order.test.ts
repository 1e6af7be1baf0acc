// Call order through a host that proxies a third party's capabilities: C -> B -> A, all TypeScript.
// C pipelines calls on a capability that B gets from A; calls C sent early (queued on B) must reach
// A before calls C sent later, whatever moment B learns where the capability lives.
import assert from 'node:assert/strict'
import { Connection } from '../../src/rpc/index.js'
import { memoryPair } from '../../src/transport/index.js'
import { InvalidArgument } from '../../src/errors.js'
import { AdderClient, type AdderServer, Adder_Next$Results$Caps } from './gen/rpctest.rpc.js'

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Records every `a` it is asked to add. */
function recorder (seen: bigint[]): AdderServer {
  return {
    add (p, r) { seen.push(p.a); r.sum = p.a + p.b; r.via = 'recorder' },
    next () { throw new InvalidArgument('no next') },
    addVia () { throw new InvalidArgument('no addVia') }
  }
}

/** next() gives `make()` after `delayMs`. */
function giver (make: () => AdderClient, delayMs: number): AdderServer {
  return {
    add () { throw new InvalidArgument('no add') },
    async next (_p, r) {
      if (delayMs > 0) await sleep(delayMs)
      using n = make()
      Adder_Next$Results$Caps.adder.set(r, n)
    },
    addVia () { throw new InvalidArgument('no addVia') }
  }
}

/** next() forwards to `upstream.next()` and returns its pipelined capability at once (like the cluster root). */
function proxy (upstream: AdderClient): AdderServer {
  return {
    add () { throw new InvalidArgument('no add') },
    next (_p, r) {
      const ans = upstream.next()
      Adder_Next$Results$Caps.adder.set(r, ans.pipeline.adder)
      const done = (): void => { ans.release() }
      ans.then(done, done)
    },
    addVia () { throw new InvalidArgument('no addVia') },
    [Symbol.dispose] () { upstream.release() }
  }
}

function link (bootstrap: AdderClient): { client: Connection, server: Connection } {
  const [a, b] = memoryPair()
  const server = new Connection(b, { bootstrap })
  const client = new Connection(a)
  bootstrap.release()
  return { client, server }
}

describe('rpc: call order through a proxying host (C -> B -> A)', () => {
  for (const [name, recordDelay] of [['the third party answers late', 30], ['the third party answers at once', 0]] as const) {
    it(`calls pipelined before and after B forwards keep their order: ${name}`, async () => {
      const seen: bigint[] = []
      // A: next() -> an adder whose next() gives the recorder (after recordDelay ms).
      const aRoot = AdderClient.serve(giver(() => AdderClient.serve(giver(() => AdderClient.serve(recorder(seen)), recordDelay)), 0))
      const ab = link(aRoot)
      // B: next() forwards to A's next() and returns the promise.
      const bc = link(AdderClient.serve(proxy(ab.client.bootstrap(AdderClient))))
      const c = bc.client.bootstrap(AdderClient)

      const first = c.next()
      const second = first.pipeline.adder.next()
      const target = second.pipeline.adder
      const answers = []
      let n = 0n
      for (let round = 0; round < 8; round++) {
        for (let i = 0; i < 8; i++) { const a = n++; answers.push(target.add((p) => { p.a = a; p.b = 1n })) }
        await sleep(2)
      }
      const sums = await Promise.all(answers)
      assert.deepEqual(sums.map((s) => s.sum), [...Array(64).keys()].map((i) => BigInt(i) + 1n))
      assert.deepEqual(seen, [...Array(64).keys()].map((i) => BigInt(i)), 'A saw the calls in the order C made them')
      for (const a of answers) a.release()
      first.release(); second.release(); c.release()
      bc.client.close(); ab.client.close()
    })
  }
})
