// RequestSender.request served by a host's channel (caps/chan.ts), as a ww_request from another host reaches it: the
// reply Sender rides to the receiving guest as a local reference (no capability served for it), is served only if
// it leaves through RPC, and ends with the call: a late answer fails Closed and never reaches the next request.
import assert from 'node:assert/strict'
import { AnchorTree } from '../../src/anchor/index.js'
import { serveTree } from '../../src/caps/anchor.js'
import { readMessage, writeMessage } from '../../src/caps/chan-message.js'
import { Closed } from '../../src/errors.js'
import { ClusterWorld } from '../../src/host/cluster-world.js'
import { LocalFacetCap } from '../../src/host/local-facet.js'
import type { ChanCap, Message, SenderCap } from '../../src/proc/index.js'
import type { Capability } from '../../src/rpc/index.js'
import type { AnchorClient } from '../../src/schema/anchor.rpc.js'
import { RequestSenderClient } from '../../src/schema/channel.rpc.js'
import { until } from '../proc/helpers.js'
import { withRequestOverRpc } from './request-over-rpc.js'

const noSpawn = { spawn: async () => { throw new Error('no spawning here') } }
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (m: { data: Uint8Array } | undefined): string | undefined => m === undefined ? undefined : new TextDecoder().decode(m.data)

describe('host: a request from another host to a guest\'s channel (RequestSender.request)', () => {
  let root: AnchorClient
  let world: ClusterWorld
  let inbox: ChanCap
  let requests: RequestSenderClient
  beforeEach(async () => {
    root = serveTree(new AnchorTree<Capability>())
    world = new ClusterWorld(root.dup(), true, noSpawn)
    inbox = world.chan(4)
    requests = RequestSenderClient.from(await inbox.origin!.sender!.export() as Capability)
  })
  afterEach(() => {
    requests.release()
    inbox.ref!.release()
    world.close()
    root.release()
  })

  const request = (data: string, signal?: AbortSignal): Promise<string | undefined> => {
    const ans = requests.request(p => { writeMessage(p._initMsg(), { data: bytes(data) }) }, { signal })
    return (async () => {
      try {
        const m = readMessage((await ans).reply)
        return text(m)
      } finally { ans[Symbol.dispose]() }
    })()
  }

  /** What the answering guest receives: the request's bytes and the reply sender, as a handle of its own. */
  async function received (): Promise<Message> {
    let m: Message | undefined
    await until(() => (m = inbox.tryRecv!()) !== undefined, 10_000, 'the request arrived')
    assert.ok(m!.cap !== undefined, 'with its reply sender')
    return m!
  }

  it('the reply sender reaches the guest as a local facet and answers the request that sent it', async () => {
    const answer = request('q')
    const q = await received()
    assert.equal(text(q), 'q')
    assert.ok(q.cap instanceof LocalFacetCap, 'a local reference to the reply channel')
    assert.equal((q.cap.refs as unknown as { cap?: Capability }).cap, undefined, 'no capability was served for it')
    assert.equal((q.cap as SenderCap).trySend!({ data: bytes('a') }), true)
    assert.equal(await answer, 'a')
    q.cap!.ref!.release()
  })

  it('a late answer fails Closed and never reaches the next request', async () => {
    const ctl = new AbortController()
    const first = request('q1', ctl.signal)
    const q1 = await received()
    ctl.abort() // the requester timed out
    await assert.rejects(first)
    const late = q1.cap as SenderCap
    await until(() => !late.trySend!({ data: bytes('late') }), 10_000, 'the reply channel closed with the call')
    await assert.rejects(late.send({ data: bytes('late') }), (err: unknown) => err instanceof Closed)
    const second = request('q2')
    const q2 = await received()
    assert.equal(text(q2), 'q2')
    assert.equal((q2.cap as SenderCap).trySend!({ data: bytes('a2') }), true)
    assert.equal(await second, 'a2')
    assert.equal((q2.cap as SenderCap).trySend!({ data: bytes('again') }), false, 'one answer per request')
    q1.cap!.ref!.release()
    q2.cap!.ref!.release()
  })

  it('the reply sender becomes a real Sender when it leaves through RPC, answers through it, and is Closed after the call', async () => {
    const answer = request('over rpc')
    await withRequestOverRpc(inbox, async (got, sender) => {
      assert.equal(got, 'over rpc')
      using sent = sender.send(p => { writeMessage(p._initMsg(), { data: bytes('answer') }) })
      await sent
      assert.equal(await answer, 'answer')
      using again = sender.send(p => { writeMessage(p._initMsg(), { data: bytes('too late') }) })
      await assert.rejects(async () => { await again }, /closed/i)
    })
  })
})
