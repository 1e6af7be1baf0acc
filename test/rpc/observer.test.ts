import assert from 'node:assert/strict'
import { Connection, type CallObserver } from '../../src/rpc/index.js'
import { memoryPair } from '../../src/transport/index.js'
import { SenderClient } from '../../src/schema/channel.rpc.js'
import { NotFound } from '../../src/errors.js'

/** Records what a connection's CallObserver is told, as "call|error interfaceId.methodId". */
function recorder (): CallObserver & { seen: string[] } {
  const seen: string[] = []
  return {
    seen,
    call (i, m) { seen.push(`call ${i.toString(16)}.${m}`) },
    error (i, m) { seen.push(`error ${i.toString(16)}.${m}`) }
  }
}

describe('rpc: a connection\'s CallObserver', () => {
  it('is told of each call the peer makes, and again of each that returns an exception; a canceled call is no error', async () => {
    let hold: (() => void) | undefined
    const served = SenderClient.serve({
      async send (params) {
        const text = new TextDecoder().decode(params.msg.data.toUint8Array())
        if (text === 'missing') throw new NotFound('no such thing')
        if (text === 'hold') {
          await new Promise<void>(resolve => { hold = resolve })
          throw new NotFound('too late') // the caller canceled first: its Return says canceled, not this
        }
      }
    })
    const observer = recorder()
    const [a, b] = memoryPair()
    const server = new Connection(b, { bootstrap: served, name: 'server', observer })
    const client = new Connection(a, { name: 'client' })
    const sender = client.bootstrap(SenderClient)
    const send = (text: string): ReturnType<SenderClient['send']> => sender.send(p => {
      const bytes = new TextEncoder().encode(text)
      p._initMsg()._initData(bytes.byteLength).copyBuffer(bytes)
    })
    const id = SenderClient.interfaceId.toString(16)

    const ok = send('fine')
    await ok
    ok.release()
    const failed = send('missing')
    await assert.rejects(async () => { await failed }, NotFound)
    failed.release()
    const held = send('hold')
    await new Promise(resolve => setTimeout(resolve, 20))
    held.release() // canceled while the server still runs it
    hold?.()
    await new Promise(resolve => setTimeout(resolve, 20))

    assert.deepEqual(observer.seen, [`call ${id}.0`, `call ${id}.0`, `error ${id}.0`, `call ${id}.0`])
    sender.release()
    client.close()
    server.close()
    served.release()
  })
})
