// A node stops on SIGTERM or `ww stop` whatever its API clients do, and the others drop it because it left.
// Nodes run with a 60 s TTL: a drop within the bounds below can only be the leave, never the TTL.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { connectUnix } from '../../src/transport/index.js'
import { Connection } from '../../src/rpc/index.js'
import { PermissionDenied } from '../../src/errors.js'
import { HostClient } from '../../src/schema/host.rpc.js'
import { CliNode, eventually, tempHome, ww, wwAsync, wwBin } from './cli-node.js'
import { neverReadingClient, recordedInfoCalls } from './raw-api-client.js'

const LONG_TTL = ['--ttl', '60']
/** Far below the 60 s TTL, far above what a leave takes at load 10. */
const LEAVE_BOUND_MS = 20_000
/** Replies to this many info() calls (~1.5 MB) are far more than the socket buffers of both ends hold. */
const SILENT_CALLS = 5_000

describe('host: stopping a node with clients connected', function () {
  this.timeout(240_000)
  const nodes: CliNode[] = []
  afterEach(() => { for (const n of nodes.splice(0)) n.cleanup() })

  async function pair (): Promise<[CliNode, CliNode]> {
    const a = await CliNode.start(tempHome(), ...LONG_TTL)
    const b = await CliNode.start(tempHome(), ...LONG_TTL, '--bootstrap', a.addrs[0])
    nodes.push(a, b)
    await eventually(async () => (await a.ls()).length === 2 && (await b.ls()).length === 2, 30_000, 'both nodes to list both')
    return [a, b]
  }

  /** A `ww recv` waiting on an empty channel at b, running until the node goes. */
  async function waitingRecv (b: CliNode): Promise<{ ended: Promise<{ status: number | null, stderr: string }> }> {
    const made = await wwAsync(['mkchan', '/peer/box', '--home', b.home])
    assert.equal(made.status, 0, made.stderr)
    const child = spawn(wwBin, ['recv', '/peer/box', '--home', b.home], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', d => { stderr += String(d) })
    const done = new Promise<{ status: number | null, stderr: string }>(resolve => child.on('close', status => { resolve({ status, stderr }) }))
    // The recv is waiting once its recv call is in the channel: a send from elsewhere would reach it. Give it a
    // moment by asking the node something else on another connection.
    await eventually(async () => (await wwAsync(['ls', '/peer', '--home', b.home])).status === 0, 10_000, 'the node to answer')
    return { ended: done }
  }

  it('SIGTERM with a waiting ww recv and a client that never reads: exit 0, the recv gets one line and 69, the other node sees a leave', async () => {
    const [a, b] = await pair()
    const recv = await waitingRecv(b)
    const silent = await neverReadingClient(join(b.home, 'api.sock'), await recordedInfoCalls(SILENT_CALLS))

    const t0 = Date.now()
    const code = await b.stop('SIGTERM')
    const exitMs = Date.now() - t0
    // 0: the stop finished by itself; the deadline that ends a stuck stop exits 1.
    assert.equal(code, 0, b.stderr)
    assert.match(b.stderr, /^ww: stopped \(SIGTERM\) in \d+ ms: left the cluster$/m)

    const r = await recv.ended
    assert.equal(r.status, 69)
    assert.equal(r.stderr, `ww: the ww node at ${b.home} went away (the node is stopping)\n`)

    const dropMs = await eventually(async () => (await a.ls()).length === 1, LEAVE_BOUND_MS, 'a to drop b')
    assert.match(a.stderr, new RegExp(`^ww: host ${b.peer} left$`, 'm'))
    silent.destroy()
    console.log(`      b exited ${exitMs} ms after SIGTERM (${/stopped \(SIGTERM\) in (\d+ ms)/.exec(b.stderr)?.[1]} of it stopping); a dropped it ${dropMs} ms after that`)
  })

  it('a second signal during a stop exits at once', async () => {
    const [, b] = await pair()
    // A client that never reads keeps the stop busy for its grace period.
    const silent = await neverReadingClient(join(b.home, 'api.sock'), await recordedInfoCalls(SILENT_CALLS))
    b.child.kill('SIGINT')
    b.child.kill('SIGTERM')
    // The two signals may be handled in either order: whichever comes second ends the process at once.
    const code = await b.stop()
    const second = code === 128 + 2 ? 'SIGINT' : 'SIGTERM'
    assert.ok(code === 128 + 2 || code === 128 + 15, `exit ${code}`)
    assert.match(b.stderr, new RegExp(`^ww: ${second} during the stop: exiting at once$`, 'm'))
    silent.destroy()
  })

  it('ww stop with a waiting recv: returns once the process is gone, and the other node sees a leave', async () => {
    const [a, b] = await pair()
    const recv = await waitingRecv(b)
    const t0 = Date.now()
    const r = await wwAsync(['stop', '--home', b.home])
    const stopMs = Date.now() - t0
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout + r.stderr, '')
    // The process is gone when ww stop returns: its exit event follows at once.
    assert.equal(await b.stop(), 0)
    assert.match(b.stderr, /^ww: stopped \(ww stop\) in \d+ ms: left the cluster$/m)
    assert.equal((await recv.ended).status, 69)
    const dropMs = await eventually(async () => (await a.ls()).length === 1, LEAVE_BOUND_MS, 'a to drop b')
    assert.match(a.stderr, new RegExp(`^ww: host ${b.peer} left$`, 'm'))
    console.log(`      ww stop returned after ${stopMs} ms; a dropped b ${dropMs} ms after that`)
  })

  it('ww stop with no node: one line, exit 69', () => {
    const home = tempHome()
    const r = ww('stop', '--home', home)
    assert.equal(r.status, 69)
    assert.equal(r.stderr, `ww: no ww node is running at ${home}; start one with 'ww start --home ${home}'\n`)
  })

  it('stop and connect are the owner\'s: another host\'s Host, reached over libp2p, refuses them with PermissionDenied', async () => {
    const [a, b] = await pair()
    const conn = new Connection(await connectUnix(join(a.home, 'api.sock')), { name: 'test' })
    const host = conn.bootstrap(HostClient)
    try {
      using remote = host.peer(p => { p.peer = b.peer })
      const viaLibp2p = remote.pipeline.host
      await assert.rejects(async () => { using s = viaLibp2p.stop(); await s }, PermissionDenied)
      await assert.rejects(async () => { using c = viaLibp2p.connect(p => { p.addr = a.addrs[0] }); await c }, PermissionDenied)
    } finally {
      host.release()
      conn.close()
    }
    // b is still up.
    assert.equal((await b.ls()).length, 2)
  })
})
