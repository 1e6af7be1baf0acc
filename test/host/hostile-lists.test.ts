// Lists that claim more elements than their bytes hold, sent to a real node over its API socket: a
// Void list or a list of zero-size structs of 2^29 - 1 elements in a few hundred bytes (before the
// fix, such a View.ls or Executor.spawn ran the node out of memory 16-19 s later). The node refuses
// the call with LimitExceeded, keeps serving, and its RSS stays put.
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import { LimitExceeded } from '../../src/errors.js'
import { resolveHome } from '../../src/host/home.js'
import { hostLimits } from '../../src/host/limits.js'
import { writeSpawnRequest } from '../../src/caps/spawn-request.js'
import { Connection } from '../../src/rpc/index.js'
import { Host_Cluster$Results$Caps, Host_Executor$Results$Caps, HostClient } from '../../src/schema/host.rpc.js'
import { connectUnix } from '../../src/transport/index.js'
import { CliNode, ok, tempHome, twoNodes } from './cli-node.js'
import { rssMiB } from './node-memory.js'

const huge = 2 ** 29 - 1

/** Points list field `index` of `s` at a list of `huge` zero-size elements: Void, or structs of no words. */
function zeroSizeList (s: capnp.Struct, index: number, kind: 'void' | 'struct'): void {
  if (kind === 'struct') capnp.utils.initList(index, capnp.PointerList(capnp.Data), 1, s) // one word: room for the tag
  const p = capnp.utils.getPointer(index, s)
  const seg = p.segment
  if (kind === 'void') {
    seg.setUint32(p.byteOffset, 1) // a near list pointer, content right after it
    seg.setUint32(p.byteOffset + 4, huge * 8) // element size 0 (Void), `huge` elements
    return
  }
  seg.setUint32(p.byteOffset + 4, 7) // inline composite, 0 words of elements
  const tag = p.byteOffset + 8 + (seg.getInt32(p.byteOffset) >> 2) * 8
  seg.setUint32(tag, huge * 4) // the tag: `huge` elements...
  seg.setUint32(tag + 4, 0) // ...of 0 data words and 0 pointers
}

describe('host: lists of zero-size elements cannot exhaust a node', function () {
  this.timeout(180_000)
  let node: CliNode
  let conn: Connection
  let host: HostClient

  before(async () => {
    node = await CliNode.start(tempHome())
    conn = new Connection(await connectUnix(resolveHome(node.home).apiSocket), { name: 'hostile' })
    host = conn.bootstrap(HostClient)
  })
  after(async () => {
    host?.release()
    conn?.close('done')
    await node?.stop()
    node?.cleanup()
  })

  async function ls (build: (params: capnp.Struct) => void): Promise<unknown> {
    using c = host.cluster()
    const view = Host_Cluster$Results$Caps.view.get(await c)
    using ans = view.ls(p => { build(p) })
    return await ans
  }

  async function spawn (build: (request: capnp.Struct) => void): Promise<unknown> {
    using e = host.executor()
    const executor = Host_Executor$Results$Caps.executor.get(await e)
    using ans = executor.spawn(p => {
      const r = p._initRequest()
      writeSpawnRequest(r, { hash: new Uint8Array(32) })
      build(r)
    })
    return await ans
  }

  for (const kind of ['void', 'struct'] as const) {
    it(`View.ls whose where is ${huge} ${kind === 'void' ? 'Voids' : 'zero-size structs'} fails LimitExceeded; the node keeps serving`, async () => {
      const before = rssMiB(node.child.pid!)
      await assert.rejects(ls(p => { zeroSizeList(p, 0, kind) }), (err: Error) => err instanceof LimitExceeded && /traversal limit/.test(err.message))
      assert.equal((await ok(['ls', '/', '--home', node.home])).trim(), `/${node.peer}`)
      assert.ok(rssMiB(node.child.pid!) < before + 64, `RSS ${before} -> ${rssMiB(node.child.pid!)} MiB`)
    })

    it(`Executor.spawn whose args (or env) are ${huge} ${kind === 'void' ? 'Voids' : 'zero-size structs'} fails LimitExceeded`, async () => {
      const before = rssMiB(node.child.pid!)
      await assert.rejects(spawn(r => { zeroSizeList(r, 1, kind) }), LimitExceeded) // args
      await assert.rejects(spawn(r => { zeroSizeList(r, 2, kind) }), LimitExceeded) // env
      assert.match(await ok(['id', '--home', node.home]), new RegExp(node.peer))
      assert.ok(rssMiB(node.child.pid!) < before + 64, `RSS ${before} -> ${rssMiB(node.child.pid!)} MiB`)
    })
  }

  it('a list the traversal limit allows is still capped by the handler that reads it (named limits)', async () => {
    const where = Array.from({ length: hostLimits.lsWhereMax + 1 }, (_, i) => `k${i}=v`)
    await assert.rejects(ls(p => {
      const w = (p as unknown as { _initWhere: (n: number) => capnp.List<string> })._initWhere(where.length)
      where.forEach((x, i) => { w.set(i, x) })
    }), (err: Error) => err instanceof LimitExceeded && err.message === `ls has ${where.length} where terms (limit ${hostLimits.lsWhereMax})`)
    await assert.rejects(spawn(r => { capnp.utils.initList(1, capnp.VoidList, hostLimits.spawnArgsMax + 1, r) }),
      (err: Error) => err instanceof LimitExceeded && /arguments \(limit 4096\)/.test(err.message))
    const args = Array.from({ length: hostLimits.spawnArgsMax }, () => 'a')
    await assert.rejects(spawn(r => {
      const l = capnp.utils.initList(1, capnp.TextList, args.length, r)
      args.forEach((a, i) => { l.set(i, a) })
    }), (err: Error) => err.name === 'ModuleNotFound') // within the limit: read, then the unknown module fails
  })
})

describe('host: a list of zero-size elements from another host, over libp2p', function () {
  this.timeout(180_000)
  let a: CliNode
  let b: CliNode

  before(async () => { [a, b] = await twoNodes() })
  after(async () => {
    for (const n of [a, b]) { await n?.stop(); n?.cleanup() }
  })

  it('View.ls whose where is 2^29 - 1 Voids, sent by host a to host b: b refuses it with LimitExceeded and keeps serving', async () => {
    const conn = new Connection(await connectUnix(resolveHome(a.home).apiSocket), { name: 'hostile' })
    const host = conn.bootstrap(HostClient)
    try {
      const before = rssMiB(b.child.pid!)
      using remote = host.peer(p => { p.peer = b.peer })
      using c = remote.pipeline.host.cluster()
      using ans = c.pipeline.view.ls(p => { zeroSizeList(p, 0, 'void') })
      await assert.rejects(async () => await ans, (err: Error) => err instanceof LimitExceeded && /traversal limit/.test(err.message))
      assert.equal((await b.ls()).length, 2)
      assert.equal((await a.ls()).length, 2)
      assert.ok(rssMiB(b.child.pid!) < before + 64, `RSS ${before} -> ${rssMiB(b.child.pid!)} MiB`)
    } finally {
      host.release()
      conn.close('done')
    }
  })
})
