// localServer: the server object behind a capability served in this process, and nothing for any other capability.
import assert from 'node:assert/strict'
import { Connection, brokenCapability, localServer, promisedCapability } from '../../src/rpc/index.js'
import { memoryPair } from '../../src/transport/index.js'
import { InvalidArgument } from '../../src/errors.js'
import { AdderClient, type AdderServer } from './gen/rpctest.rpc.js'

const adder = (): AdderServer => ({
  add (p, r) { r.sum = p.a + p.b; r.via = 'local' },
  next () {},
  addVia () {}
})

describe('rpc: localServer', () => {
  it('gives the server object of a capability served here, through any reference to it', () => {
    const impl = adder()
    using cap = AdderClient.serve(impl)
    assert.equal(localServer(cap), impl)
    using copy = cap.dup()
    assert.equal(localServer(copy), impl)
  })

  it('gives it for a promise once the promise resolved to such a capability, not before', async () => {
    const impl = adder()
    using cap = AdderClient.serve(impl)
    let resolve!: (c: AdderClient) => void
    using promised = promisedCapability(AdderClient, new Promise(r => { resolve = r }))
    assert.equal(localServer(promised), undefined)
    resolve(cap.dup())
    await new Promise(r => setImmediate(r))
    assert.equal(localServer(promised), impl)
  })

  it('gives nothing for a capability the peer hosts, or a broken one', async () => {
    const [a, b] = memoryPair()
    const impl = adder()
    using served = AdderClient.serve(impl)
    const server = new Connection(b, { bootstrap: served, name: 'server' })
    const client = new Connection(a, { name: 'client' })
    try {
      using remote = client.bootstrap(AdderClient)
      using sum = remote.add(p => { p.a = 1n; p.b = 2n })
      assert.equal((await sum).sum, 3n)
      assert.equal(localServer(remote), undefined)
      using broken = brokenCapability(AdderClient, new InvalidArgument('broken'))
      assert.equal(localServer(broken), undefined)
    } finally {
      client.close()
      server.close()
    }
  })
})
