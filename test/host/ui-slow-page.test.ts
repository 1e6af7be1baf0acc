// A console page that stops reading (a stalled or slow browser): a real `ww start --ui` node holds at most
// uiBufferedBytesMax for it, then closes its WebSocket with a reason the page can show; other pages go on.
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { walk } from '../../cmd/anchor-path.js'
import { Disconnected } from '../../src/errors.js'
import { hostLimits } from '../../src/host/limits.js'
import { Connection } from '../../src/rpc/index.js'
import { HostClient } from '../../src/schema/host.rpc.js'
import { websocketTransport } from '../../src/transport/index.js'
import { CliNode, eventually, ok, tempHome, wwAsync } from './cli-node.js'

/** The console's WebSocket, opened as the page opens it (its Origin, the token as a subprotocol). */
async function openPage (url: string): Promise<WebSocket> {
  const base = url.replace(/#.*$/, '')
  const token = url.replace(/^.*#token=/, '')
  const ws = new WebSocket(base.replace(/^http/, 'ws') + 'rpc', ['ww-capnp', `ww-token.${token}`], { origin: base.replace(/\/$/, '') })
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  return ws
}

describe('console: a page that reads too slowly', function () {
  this.timeout(120_000)
  let n: CliNode
  let url: string

  before(async () => {
    n = await CliNode.start(tempHome(), '--ui', '127.0.0.1:0')
    const file = join(n.home, 'ui.url')
    await eventually(() => { try { return readFileSync(file, 'utf8') !== '' } catch { return false } }, 30_000, 'ui.url')
    url = readFileSync(file, 'utf8').trim()
  })

  after(async () => {
    await n?.stop()
    n?.cleanup()
  })

  it(`is disconnected with a reason once over uiBufferedBytesMax (${hostLimits.uiBufferedBytesMax >> 20} MiB) waits for it; other pages go on`, async () => {
    const valueBytes = 1 << 20
    const calls = 6 * (hostLimits.uiBufferedBytesMax / valueBytes) // well past the bound and what the kernel's buffers take
    const file = join(n.home, 'big')
    writeFileSync(file, Buffer.alloc(valueBytes, 7))
    await ok(['store', `/${n.peer}/big`, '--file', file, '--home', n.home])

    const ws = await openPage(url)
    const conn = new Connection(websocketTransport(ws), { name: 'slow page' })
    const host = conn.bootstrap(HostClient)
    const big = walk(host, `/${n.peer}/big`)
    const done = walk(host, `/${n.peer}/done`)
    ws.pause() // the page stops reading: what the node writes waits for it
    const loads = Array.from({ length: calls }, () => big.anchor.load())
    const marked = done.anchor.store(p => { p._initValue()._initBytes(1).copyBuffer(Uint8Array.of(1)) })
    // The node handles a connection's calls in order: once "done" is stored, every load has been answered (or refused).
    await eventually(async () => (await wwAsync(['load', `/${n.peer}/done`, '--home', n.home])).status === 0, 60_000, 'the calls handled')
    ws.resume()

    const results = await Promise.allSettled(loads.map(async l => { await l }))
    const answered = results.filter(r => r.status === 'fulfilled').length
    assert.ok(answered < calls, `${answered} of ${calls} loads answered: the node should have stopped writing`)
    console.log(`      ${answered} of ${calls} loads of 1 MiB answered before the close`)
    // at most the bound, one message more, and what the two kernels' socket buffers held
    assert.ok(answered * valueBytes <= hostLimits.uiBufferedBytesMax + 32 * valueBytes, `${answered} MiB sent before the close`)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as Error
    assert.ok(failed instanceof Disconnected, String(failed))
    assert.match(failed.message, /code 1008: the page read too slowly: over 16 MiB waited to be sent \(uiBufferedBytesMax\); reload it/)
    await assert.rejects(async () => { await marked }, Disconnected)
    marked.release()
    for (const l of loads) l.release()
    big.release()
    done.release()
    host.release()
    conn.close()

    // the node goes on: another page is served, and the CLI too
    const again = await openPage(url)
    const c2 = new Connection(websocketTransport(again), { name: 'another page' })
    const h2 = c2.bootstrap(HostClient)
    using info = h2.info()
    assert.equal((await info).info.peer, n.peer)
    h2.release()
    c2.close()
    assert.equal((await ok(['load', `/${n.peer}/done`, '--home', n.home])).length, 1)
  })
})
