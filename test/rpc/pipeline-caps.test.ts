// Pipelined calls and capabilities in params/results over a real connection (in-memory pair):
// promisedAnswer targets and every CapDescriptor kind, which envelope.ts lays out and reads
// itself. The wire is checked with capnp-es (independent of the fast reader).
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import { Connection, promisedCapability } from '../../src/rpc/index.js'
import { memoryPair, type MessageTransport } from '../../src/transport/index.js'
import { AdderClient, type AdderServer, Adder_AddVia$Params$Caps, Adder_Next$Results$Caps } from './gen/rpctest.rpc.js'

const descriptorNames = ['none', 'senderHosted', 'senderPromise', 'receiverHosted', 'receiverAnswer', 'thirdPartyHosted']

function transformOf (pa: rpc.PromisedAnswer): string {
  const ops: number[] = []
  if (pa._hasTransform()) for (let i = 0; i < pa.transform.length; i++) ops.push(pa.transform.get(i).getPointerField)
  return `[${ops.join(',')}]`
}

function capsOf (payload: rpc.Payload): string {
  if (!payload._hasCapTable()) return ''
  const out: string[] = []
  for (let i = 0; i < payload.capTable.length; i++) out.push(descriptorNames[payload.capTable.get(i).which()])
  return out.length === 0 ? '' : ` caps=${out.join(',')}`
}

/** Logs what `side` sends: 'C call promised[0] caps=receiverAnswer', 'S return caps=senderHosted', ... */
function recording (t: MessageTransport, side: string, log: string[]): MessageTransport {
  const note = (frame: Uint8Array): void => {
    const m = new capnp.Message(frame.slice().buffer, false).getRoot(rpc.Message)
    if (m.which() === rpc.Message.CALL) {
      const c = m.call
      const target = c.target.which() === rpc.MessageTarget.PROMISED_ANSWER ? `promised${transformOf(c.target.promisedAnswer)}` : 'imported'
      log.push(`${side} call ${target}${capsOf(c.params)}`)
    } else if (m.which() === rpc.Message.RETURN) {
      log.push(`${side} return${m.return.which() === rpc.Return.RESULTS ? capsOf(m.return.results) : ` kind ${m.return.which()}`}`)
    }
  }
  return {
    start: (h, l) => { t.start(h, l) },
    send: (frame, lazy) => { note(frame); t.send(frame, lazy) },
    close: (err) => { t.close(err) }
  }
}

/** Adder `a<i>`: next() gives a<i+1>; addVia(adder) asks that adder and says who answered. */
function adder (i: number): AdderServer {
  const name = `a${i}`
  return {
    add (p, r) { r.sum = p.a + p.b; r.via = name },
    next (_p, r) {
      const n = AdderClient.serve(adder(i + 1))
      Adder_Next$Results$Caps.adder.set(r, n)
      n.release()
    },
    async addVia (p, r) {
      const target = Adder_AddVia$Params$Caps.adder.get(p)
      const a = p.a
      const b = p.b
      const res = await target.add((q) => { q.a = a; q.b = b })
      r.sum = res.sum
      r.via = `${name}->${res.via}`
    }
  }
}

function connect (log: string[]): { root: AdderClient, close: () => void } {
  const [left, right] = memoryPair()
  const boot = AdderClient.serve(adder(0))
  const server = new Connection(recording(right, 'S', log), { bootstrap: boot })
  boot.release()
  const client = new Connection(recording(left, 'C', log))
  const root = client.bootstrap(AdderClient)
  return { root, close: () => { root.release(); client.close(); server.close() } }
}

describe('rpc: pipelined calls and capability descriptors on the wire', () => {
  it('sends a chain of pipelined calls before any return and answers each right', async () => {
    const log: string[] = []
    const { root, close } = connect(log)
    try {
      await root.add((p) => { p.a = 0n; p.b = 0n }) // bootstrap settled
      log.length = 0
      const n1 = root.next()
      const n2 = n1.pipeline.adder.next()
      const sum = n2.pipeline.adder.add((p) => { p.a = 2n; p.b = 3n })
      const r = await sum
      assert.deepEqual([r.sum, r.via], [5n, 'a2'])
      assert.deepEqual(log, [
        'C call imported',
        'C call promised[0]',
        'C call promised[0]',
        'S return caps=senderHosted',
        'S return caps=senderHosted',
        'S return'
      ])
      for (const a of [sum, n2, n1]) a.release()
    } finally { close() }
  })

  it('passes every kind of capability in params, and each reaches the right object', async () => {
    const log: string[] = []
    const { root, close } = connect(log)
    const addVia = async (cap: AdderClient | null): Promise<string> => {
      const a = root.addVia((p) => { Adder_AddVia$Params$Caps.adder.set(p, cap); p.a = 1n; p.b = 2n })
      try { const r = await a; assert.equal(r.sum, 3n); return r.via } finally { a.release() }
    }
    try {
      await root.add((p) => { p.a = 0n; p.b = 0n })
      log.length = 0
      // senderHosted: one of ours
      const local = AdderClient.serve({ ...adder(9), add (p, r) { r.sum = p.a + p.b; r.via = 'local' } })
      assert.equal(await addVia(local), 'a0->local')
      local.release()
      // receiverHosted: the server's own, imported earlier
      const n = root.next()
      await n
      assert.equal(await addVia(n.pipeline.adder), 'a0->a1')
      n.release()
      // receiverAnswer: an answer still in flight, in the same tick as the call that makes it
      const m = root.next()
      assert.equal(await addVia(m.pipeline.adder), 'a0->a1')
      m.release()
      // senderPromise: a capability of ours that is not there yet
      let give!: (c: AdderClient) => void
      const later = promisedCapability(AdderClient, new Promise<AdderClient>((resolve) => { give = resolve }))
      const pending = addVia(later)
      setTimeout(() => { give(AdderClient.serve({ ...adder(8), add (p, r) { r.sum = p.a + p.b; r.via = 'late' } })) }, 5)
      assert.equal(await pending, 'a0->late')
      later.release()
      // a null capability fails the server's call on it
      await assert.rejects(addVia(null), /null capability/)
      const sent = log.filter((l) => l.startsWith('C call'))
      assert.deepEqual(sent, [
        'C call imported caps=senderHosted',
        'C call imported',
        'C call imported caps=receiverHosted',
        'C call imported',
        'C call imported caps=receiverAnswer',
        'C call imported caps=senderPromise',
        'C call imported' // a null capability is a null pointer, not a table entry
      ])
    } finally { close() }
  })
})
