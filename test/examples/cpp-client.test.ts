// The C++ example client (examples/clients/cpp), built by `make cpp-client` from the shipped schema with Debian's
// libcapnp, run against a real node's API socket: what it prints is what the node did for it.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type CliNode, type CliResult, ok, runAsync, twoNodes } from '../host/cli-node.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const client = join(root, 'examples', 'clients', 'cpp', 'build', 'ww-client')
const hello = join(root, 'guest', 'build', 'hello.wasm')

async function runClient (...args: string[]): Promise<CliResult> {
  return await runAsync(client, args)
}

describe('examples: the C++ client against a node', function () {
  this.timeout(600_000) // building the client compiles the whole schema: minutes at load 10
  let a: CliNode
  let b: CliNode

  before(async () => {
    const built = promisify(execFile)('make', ['-s', '-C', root, 'cpp-client', 'guest/build/hello.wasm'], { maxBuffer: 16 << 20 })
    ;[a, b] = await twoNodes()
    await built
  })

  after(() => { for (const n of [a, b]) n?.cleanup() })

  it('lists both hosts, stores and loads a value, sends and receives on a channel, runs hello, and gets a limit as failed', async () => {
    const r = await runClient(join(a.home, 'api.sock'), hello)
    assert.equal(r.status, 0, `ww-client failed: ${r.stderr}`)
    assert.equal(r.stderr, '')
    const lines = r.stdout.split('\n')
    assert.equal(lines[0], `peer ${a.peer}`)
    assert.deepEqual(lines.filter(l => l.startsWith('host ')).sort(), [`host ${a.peer}`, `host ${b.peer}`].sort())
    assert.ok(lines.includes('loaded hello from C++'), r.stdout)
    assert.ok(lines.includes('received a message from C++'), r.stdout)
    assert.ok(lines.includes('guest ended: exited, code 7'), r.stdout)
    assert.ok(r.stdout.includes('guest stdout:\narg 1: from C++\nGREETING=hi\n'), r.stdout)
    assert.ok(lines.includes('too long a name: failed, LimitExceeded'), r.stdout)
    // What it stored is in the cluster's namespace: the other host's `ww load` reaches it.
    assert.equal(await ok(['load', `/${a.peer}/cpp-example/greeting`, '--home', b.home]), 'hello from C++')
    // And the channel it made works for ww too.
    await ok(['send', `/${a.peer}/cpp-example/mailbox`, 'from ww', '--home', b.home])
    assert.equal(await ok(['recv', `/${a.peer}/cpp-example/mailbox`, '--home', a.home]), 'from ww\n')
  })

  it('no arguments: its usage in one line on stderr, exit 2', async () => {
    const r = await runClient()
    assert.equal(r.status, 2)
    assert.equal(r.stderr, 'usage: ww-client <home>/api.sock <guest.wasm>\n')
  })

  it('a socket with no node behind it: one line on stderr, exit 1', async () => {
    const r = await runClient(join(a.home, 'no-such.sock'), hello)
    assert.equal(r.status, 1)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^ww-client: no node answers at \S+no-such\.sock: .*is `ww start` running with that home\?\)\n$/)
  })
})
