// A peer that begins a message and never finishes it: over a real unix socket, the RPC connection
// ends with Timeout once frameTimeoutMs has passed, while a connection that is merely quiet between
// messages stays open.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Timeout } from '../../src/errors.js'
import { Connection } from '../../src/rpc/index.js'
import { listenUnix } from '../../src/transport/index.js'
import { recordedInfoCalls } from '../host/raw-api-client.js'

describe('transport: an unfinished frame times out', function () {
  this.timeout(60_000)
  let dir: string
  let server: net.Server
  const conns: Connection[] = []

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ww-frame-'))
    server = await listenUnix(join(dir, 's'), t => { conns.push(new Connection(t, { name: 'server', limits: { frameTimeoutMs: 300 } })) })
  })
  after(() => {
    for (const c of conns) c.close('done')
    server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  async function client (bytes: Uint8Array): Promise<net.Socket> {
    const s = net.connect(join(dir, 's'))
    s.on('error', () => {})
    await new Promise<void>(resolve => s.once('connect', resolve))
    s.write(bytes)
    return s
  }

  it('half a frame, then silence: the connection ends Timeout and the socket closes', async () => {
    const whole = await recordedInfoCalls(1)
    const s = await client(whole.subarray(0, 12))
    const closed = new Promise<void>(resolve => s.once('close', () => { resolve() }))
    await closed
    const c = conns.at(-1)!
    assert.ok(c.error instanceof Timeout, String(c.error))
    assert.match(c.error.message, /did not complete within 300 ms/)
  })

  it('whole frames then silence far longer than the timeout: the connection stays', async () => {
    const s = await client(await recordedInfoCalls(1))
    await new Promise(resolve => setTimeout(resolve, 1200))
    assert.equal(s.destroyed, false)
    assert.equal(conns.at(-1)!.error, undefined)
    s.destroy()
  })
})
