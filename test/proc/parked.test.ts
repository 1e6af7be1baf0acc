// A guest's ww_recv on a channel of this host waits without a promise (src/proc/parked.ts): it is woken in the step
// a sender hands it a message, and a guest about to wait runs the guest it woke first, so a ping-pong between two
// guests suspends only the echo. The usual rules still hold: answers in order, kill, and what the guest is told.
import assert from 'node:assert/strict'
import type { Message, SenderCap } from '../../src/proc/index.js'
import { guest, node, PEER, run, until, warmCache } from './helpers.js'

describe('proc: a guest waiting in recv on a local channel', function () {
  this.timeout(300_000)
  before(warmCache)

  it('ping-pong between two guests: the pinger takes its answers without suspending, every answer matched', async () => {
    const N = 2000
    const { executor } = node()
    const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: ['/peer/parked-box', String(N)] })
    const ping = await run(executor, 'ping', { args: ['/peer/parked-box', String(N)] })
    assert.equal(ping.status.code, 0, ping.stderr) // ping checks each answer against what it sent
    assert.match(ping.stdout, new RegExp(`^ping: ${N} round trips`))
    assert.equal((await echo.wait()).code, 0)
    assert.ok(echo.suspensions >= N, `the echo waits for each message (${echo.suspensions} suspensions)`)
    assert.ok(ping.proc.suspensions < N / 10, `the pinger ran the echo itself and found its answers there (${ping.proc.suspensions} suspensions for ${N} round trips)`)
  })

  it('a guest woken by a JS sender runs on its own (no guest to run it) and answers each message', async () => {
    const { executor, world } = node()
    const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: ['/peer/parked-js', '50'] })
    let sender: SenderCap | undefined
    await until(() => {
      const root = world.tree.root()
      try {
        const v = root.walk(`/${PEER}/parked-js`).load()
        if (v?.kind === 'sender') sender = v.cap as SenderCap
      } finally { root.release() }
      return sender !== undefined && echo.suspensions >= 2
    }, 60_000, 'echo to wait in recv')
    const got: string[] = []
    const reply: SenderCap = { kind: 'sender', send: async (m: Message) => { got.push(new TextDecoder().decode(m.data)) } }
    for (let i = 0; i < 50; i++) {
      await sender!.send({ data: new TextEncoder().encode(`m${i}`), cap: reply })
      await until(() => got.length === i + 1, 10_000, `answer ${i}`)
    }
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => `m${i}`))
    assert.equal((await echo.wait()).code, 0)
  })

  it('a guest parked in recv is killed at once, and a message sent after that is not taken', async () => {
    const { executor, world } = node()
    const echo = await executor.spawn({ module: { bytes: guest('echo') }, args: ['/peer/parked-kill'] })
    let sender: SenderCap | undefined
    await until(() => {
      const root = world.tree.root()
      try {
        const v = root.walk(`/${PEER}/parked-kill`).load()
        if (v?.kind === 'sender') sender = v.cap as SenderCap
      } finally { root.release() }
      return sender !== undefined && echo.suspensions >= 2
    }, 60_000, 'echo to wait in recv')
    echo.kill()
    assert.equal((await echo.wait()).reason, 'killed')
    let answered = false
    const reply: SenderCap = { kind: 'sender', send: async () => { answered = true } }
    // the inbox has room (16): the send completes into its buffer, and nobody takes it
    await sender!.send({ data: new Uint8Array([1]), cap: reply })
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(answered, false)
  })
})
