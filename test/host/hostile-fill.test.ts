// Filling a real node with stored values and buffered channel messages of 1 MiB each (before: 1,000
// values took 1.3 GB; one channel took 65,536 messages). Each stops at its host budget with
// LimitExceeded, through the API and through the CLI (one line, exit 1), and the node's RSS stays
// within the two budgets.
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { DEFAULT_ANCHOR_LIMITS } from '../../src/anchor/limits.js'
import { DEFAULT_CHAN_LIMITS } from '../../src/csp/limits.js'
import { LimitExceeded } from '../../src/errors.js'
import { resolveHome } from '../../src/host/home.js'
import { Connection } from '../../src/rpc/index.js'
import { Anchor_MakeChan$Results$Caps, type AnchorClient } from '../../src/schema/anchor.rpc.js'
import { Host_Local$Results$Caps, HostClient } from '../../src/schema/host.rpc.js'
import { connectUnix } from '../../src/transport/index.js'
import { CliNode, tempHome, wwAsync } from './cli-node.js'
import { rssMiB } from './node-memory.js'

const MiB = 1 << 20

describe('host: stored values and buffered messages stay within their budgets', function () {
  this.timeout(300_000)
  let node: CliNode
  let conn: Connection
  let host: HostClient
  let local: AnchorClient
  let baseline: number

  before(async () => {
    node = await CliNode.start(tempHome())
    conn = new Connection(await connectUnix(resolveHome(node.home).apiSocket), { name: 'filler' })
    host = conn.bootstrap(HostClient)
    using l = host.local()
    local = Host_Local$Results$Caps.anchor.get(await l).dup()
    baseline = rssMiB(node.child.pid!)
  })
  after(async () => {
    local?.release()
    host?.release()
    conn?.close('done')
    await node?.stop()
    node?.cleanup()
  })

  /** Calls `one(i)` until it fails; the number that succeeded (at most `max`) and the failure. */
  async function fill (max: number, one: (i: number) => Promise<unknown>): Promise<[number, unknown]> {
    for (let i = 0; i < max; i++) {
      try { await one(i) } catch (err) { return [i, err] }
    }
    return [max, undefined]
  }

  it('1 MiB values: stores stop at maxStoredBytes with LimitExceeded; RSS stays within it', async () => {
    const value = new Uint8Array(MiB)
    const [stored, err] = await fill(1000, async i => {
      using w = local.walk(p => { p.path = `v${i}` })
      using s = w.pipeline.anchor.store(p => { p._initValue()._initBytes(value.byteLength).copyBuffer(value) })
      await s
    })
    assert.ok(err instanceof LimitExceeded, String(err))
    assert.equal(stored, Math.floor(DEFAULT_ANCHOR_LIMITS.maxStoredBytes / MiB))
    const grown = rssMiB(node.child.pid!) - baseline
    assert.ok(grown < DEFAULT_ANCHOR_LIMITS.maxStoredBytes / MiB + 128, `RSS grew ${grown.toFixed(0)} MiB`)

    const r = await wwAsync(['store', `/${node.peer}/one-more`, '--bytes', 'hi', '--home', node.home])
    assert.equal(r.status, 1)
    assert.match(r.stderr, /^ww: .*maxStoredBytes 268435456\)\n$/)
  })

  it('1 MiB messages into one channel of capacity 65,536: sends stop at maxBufferedBytes; RSS stays within both budgets', async () => {
    using w = local.walk(p => { p.path = 'inbox' })
    using made = w.pipeline.anchor.makeChan(p => { p.capacity = DEFAULT_CHAN_LIMITS.maxCapacity })
    const chan = Anchor_MakeChan$Results$Caps.chan.get(await made)
    const data = new Uint8Array(MiB)
    const [sent, err] = await fill(1000, async () => {
      using s = chan.send(p => { p._initMsg()._initData(data.byteLength).copyBuffer(data) })
      await s
    })
    assert.ok(err instanceof LimitExceeded, String(err))
    assert.equal(sent, Math.floor(DEFAULT_CHAN_LIMITS.maxBufferedBytes / MiB))
    const budgets = (DEFAULT_ANCHOR_LIMITS.maxStoredBytes + DEFAULT_CHAN_LIMITS.maxBufferedBytes) / MiB
    const grown = rssMiB(node.child.pid!) - baseline
    assert.ok(grown < budgets + 128, `RSS grew ${grown.toFixed(0)} MiB (budgets ${budgets} MiB)`)

    const r = await wwAsync(['send', `/${node.peer}/inbox`, 'one more', '--home', node.home])
    assert.equal(r.status, 1)
    assert.match(r.stderr, /^ww: .*budget 268435456\)\n$/)
    const got = await wwAsync(['recv', `/${node.peer}/inbox`, '--home', node.home])
    assert.equal(got.status, 0, got.stderr)
    const again = await wwAsync(['send', `/${node.peer}/inbox`, 'one more', '--home', node.home])
    assert.equal(again.status, 0, again.stderr) // a message received made room
  })
})

describe('host: ww start --max-stored-bytes / --max-buffered-bytes', function () {
  this.timeout(300_000)
  let node: CliNode

  before(async () => { node = await CliNode.start(tempHome(), '--max-stored-bytes', '100k', '--max-buffered-bytes', '1k') })
  after(async () => { await node?.stop(); node?.cleanup() })

  it('a node started with smaller budgets refuses past them: one line naming the budget, exit 1', async () => {
    const v = 'x'.repeat(60_000)
    const first = await wwAsync(['store', `/${node.peer}/a`, '--bytes', v, '--home', node.home])
    assert.equal(first.status, 0, first.stderr)
    const second = await wwAsync(['store', `/${node.peer}/b`, '--bytes', v, '--home', node.home])
    assert.equal(second.status, 1)
    assert.equal(second.stderr, 'ww: the anchors of this host would hold 120000 bytes of values (maxStoredBytes 102400)\n')

    assert.equal((await wwAsync(['mkchan', `/${node.peer}/c`, '--cap', '10', '--home', node.home])).status, 0)
    const m = 'y'.repeat(600)
    assert.equal((await wwAsync(['send', `/${node.peer}/c`, m, '--home', node.home])).status, 0)
    const over = await wwAsync(['send', `/${node.peer}/c`, m, '--home', node.home])
    assert.equal(over.status, 1)
    assert.equal(over.stderr, "ww: this host's channels would hold 1200 bytes (budget 1024)\n")
  })

  it('a size that is not one is a usage error (exit 2), before anything starts', async () => {
    const home = tempHome()
    const r = await wwAsync(['start', '--home', home, '--max-buffered-bytes', 'lots'])
    rmSync(home, { recursive: true, force: true })
    assert.equal(r.status, 2)
    assert.equal(r.stderr, 'ww: --max-buffered-bytes must be a positive number of bytes, optionally with k, m or g (KiB, MiB, GiB), got "lots"\n')
  })
})
