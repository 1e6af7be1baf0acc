// A received call is held to its traversal limit on every read, also when it arrived in a reused
// call buffer (each call gets the whole limit again, no more), and a read past it fails the call
// with LimitExceeded, as our own readers' limits do (capnp-es's own error is a plain Error).
import assert from 'node:assert/strict'
import { Connection } from '../../src/rpc/index.js'
import { memoryPair } from '../../src/transport/index.js'
import { SenderClient } from '../../src/schema/channel.rpc.js'
import { LimitExceeded } from '../../src/errors.js'

describe('rpc: traversal limit of received calls', () => {
  const words = 16 // 128 bytes: 16 pointers followed
  let reads = 0
  let wanted = 0
  let server: Connection
  let client: Connection
  let sender: SenderClient

  before(() => {
    const [a, b] = memoryPair()
    // Each read of params.msg and of its data follows a pointer of the received call.
    const impl = SenderClient.serve({ send (params) { for (reads = 0; reads < wanted; reads++) void params.msg.data } })
    server = new Connection(b, { bootstrap: impl, limits: { traversalLimitWords: words } })
    client = new Connection(a, {})
    sender = client.bootstrap(SenderClient)
  })
  after(() => { sender.release(); client.close(); server.close() })

  const send = async (n: number): Promise<void> => {
    wanted = n
    await sender.send((p) => { p._initMsg()._initData(8).set(0, 0x70) })
  }

  it('a call that reads past the limit fails LimitExceeded, every time its call buffer is reused', async () => {
    for (let i = 0; i < 5; i++) {
      await assert.rejects(send(words), (err: Error) => err instanceof LimitExceeded && /traversal limit/i.test(err.message))
      assert.ok(reads < words / 2, `stopped after ${reads} reads (two pointers each)`)
    }
  })

  it('each call gets the whole limit again: as many reads succeed after an exhausted call as before it', async () => {
    let allowed = 0
    for (; allowed < words; allowed++) {
      try { await send(allowed + 1) } catch { break }
    }
    assert.ok(allowed >= 2 && allowed < words / 2, `${allowed} reads fit the limit`)
    for (let i = 0; i < 3; i++) {
      await assert.rejects(send(words), LimitExceeded)
      await send(allowed)
      await assert.rejects(send(allowed + 1), LimitExceeded)
    }
  })
})
