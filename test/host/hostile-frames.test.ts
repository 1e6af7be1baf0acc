// Twenty API clients that each send 60 MiB of a 64 MiB message and stop: before, they added ~1 GB to
// the node and were never timed out. Now the node's budget for incomplete frames (incompleteFramesBytes)
// takes the first few and aborts the rest, its RSS stays within that budget, it keeps serving, and
// the frames it took are timed out (frameTimeoutMs) and their connections closed.
import assert from 'node:assert/strict'
import net from 'node:net'
import { resolveHome } from '../../src/host/home.js'
import { defaultRpcLimits } from '../../src/rpc/index.js'
import { eventually, ok } from './cli-node.js'
import { rssMiB } from './node-memory.js'
import { nodeWithRawSockets } from './raw-api-client.js'

const MiB = 1 << 20
const frameBytes = 64 * MiB - 64
const sentBytes = 60 * MiB

describe('host: half-sent frames cannot exhaust a node', function () {
  this.timeout(300_000)
  const suite = nodeWithRawSockets()
  const sockets = suite.sockets

  it('20 clients each 60 MiB into a frame: most are aborted, RSS stays within the budget, the rest time out', async () => {
    const before = rssMiB(suite.node.child.pid!)
    const header = Buffer.alloc(8)
    header.writeUInt32LE(0, 0) // one segment...
    header.writeUInt32LE((frameBytes - 8) / 8, 4) // ...of this many words
    const body = Buffer.alloc(sentBytes - 8)
    const written: Array<Promise<void>> = []
    for (let i = 0; i < 20; i++) {
      const s = net.connect(resolveHome(suite.node.home).apiSocket)
      sockets.push(s)
      s.on('error', () => {})
      written.push(new Promise(resolve => {
        s.once('close', () => { resolve() })
        s.write(header)
        s.write(body, () => { resolve() }) // all of it in the node's hands (or the node reset the connection)
      }))
    }
    await Promise.all(written)
    const budget = defaultRpcLimits.incompleteFramesBytes / MiB
    const fit = Math.floor(budget / 64)
    const open = (): number => sockets.filter(s => !s.destroyed).length
    await eventually(() => open() <= fit, 60_000, `at most ${fit} connections left holding a frame`)
    assert.ok(open() >= 1, 'the budget takes frames up to its size')
    const grown = rssMiB(suite.node.child.pid!) - before
    assert.ok(grown < budget + 96, `RSS grew ${grown.toFixed(0)} MiB (budget ${budget} MiB)`)
    assert.match(await ok(['id', '--home', suite.node.home]), new RegExp(suite.node.peer))
    // the frames it holds never complete: their connections end after frameTimeoutMs
    await eventually(() => sockets.every(s => s.destroyed || s.readableEnded), defaultRpcLimits.frameTimeoutMs + 60_000, 'held connections timed out')
  })
})
