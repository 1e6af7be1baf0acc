// The API socket holds at most apiConnectionsMax connections: idle clients past it are closed as
// they arrive, told why (before: 500 idle sockets all stayed open), and a command works again once some leave.
// Idle connections are not timed out: a `ww recv` waiting for a message is idle too.
import assert from 'node:assert/strict'
import net from 'node:net'
import { resolveHome } from '../../src/host/home.js'
import { hostLimits } from '../../src/host/limits.js'
import { eventually, ok, wwAsync } from './cli-node.js'
import { connectedSocket, nodeWithRawSockets } from './raw-api-client.js'

describe('host: the API socket caps its connections', function () {
  this.timeout(180_000)
  const suite = nodeWithRawSockets()
  const sockets = suite.sockets

  async function connect (): Promise<net.Socket> {
    const s = await connectedSocket(resolveHome(suite.node.home).apiSocket)
    sockets.push(s)
    return s
  }

  it(`${hostLimits.apiConnectionsMax} idle clients are held; one more is told why and closed at once; a command works once one leaves`, async () => {
    for (let i = 0; i < hostLimits.apiConnectionsMax; i++) await connect()
    const extra = await connect()
    extra.resume() // reads the node's Abort, then its end
    await new Promise<void>(resolve => { if (extra.destroyed) resolve(); else extra.once('close', () => { resolve() }) })
    const refused = await wwAsync(['id', '--home', suite.node.home])
    assert.equal(refused.status, 69)
    assert.equal(refused.stderr, `ww: the ww node at ${suite.node.home} went away (it already holds ${hostLimits.apiConnectionsMax} API connections (apiConnectionsMax); retry once some have closed)\n`)
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.equal(sockets.slice(0, hostLimits.apiConnectionsMax).filter(s => s.destroyed).length, 0, 'the first ones stay open while idle')
    sockets[0].destroy()
    await eventually(async () => (await wwAsync(['id', '--home', suite.node.home])).status === 0, 30_000, 'a command once a client left')
    assert.match(await ok(['id', '--home', suite.node.home]), new RegExp(suite.node.peer))
  })
})
