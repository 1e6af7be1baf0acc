import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { connect, startNode, HostClient, InvalidArgument, LimitExceeded, WwError } from 'ww'
import { runAsync, tempHome, wwAsync, type CliResult } from '../host/cli-node.js'

const repo = fileURLToPath(new URL('../../../', import.meta.url))

/** Runs `node ARGS` in the repository (as a user of the package would, outside mocha); its output and exit code. */
async function node (args: string[]): Promise<CliResult> {
  return await runAsync(process.execPath, args, { cwd: repo })
}

describe('library: import { startNode, connect } from \'ww\'', function () {
  this.timeout(120_000)
  const homes: string[] = []
  const home = (): string => { const h = tempHome(); homes.push(h); return h }
  after(() => { for (const h of homes) rmSync(h, { recursive: true, force: true }) })

  it('runs the README example as written, and the process ends by itself once the node has stopped', async () => {
    const r = await node(['examples/library/quickstart.mjs'])
    assert.equal(r.status, 0, r.stderr)
    const lines = r.stdout.trimEnd().split('\n')
    assert.match(lines[0], /^peer 12D3KooW\w+$/)
    assert.deepEqual(lines.slice(1), [
      'hello',
      'ww_chan_messages_sent_total 1',
      'ww_chan_messages_received_total 1',
      'ww_rpc_calls_total{method="Sender.send"} 1'
    ])
    assert.equal(r.stderr, '')
  })

  it('starts a node in this process that the ww commands reach, and connects to it with typed capabilities', async () => {
    const h = home()
    const running = await startNode({ home: h, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, meta: ['role=lib'] })
    try {
      assert.ok(running.host instanceof HostClient)
      assert.match(running.addrs[0], /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/)
      const ls = await wwAsync(['ls', '/', '--where', 'role=lib', '--home', h])
      assert.equal(ls.stdout, `/${running.peerId}\n`, ls.stderr)
      const client = await connect({ home: h })
      try {
        const info = client.host.info()
        assert.equal((await info).info.peer, running.peerId)
        assert.deepEqual([...(await info).info.meta], ['role=lib'])
        info.release()
      } finally { client.close() }
      await client.closed
    } finally { await running.stop() }
    const gone = await wwAsync(['id', '--home', h])
    assert.equal(gone.status, 69) // stopped: no node at that home any more
  })

  it('takes the options of ww start, with the same checks and the same error', async () => {
    const cli = await wwAsync(['start', '--home', home(), '--ttl', '0.01'])
    assert.equal(cli.status, 2)
    await assert.rejects(startNode({ home: home(), ttl: 0.01 }), (err: Error) => {
      assert.ok(err instanceof InvalidArgument)
      assert.equal(`ww: ${err.message}\n`, cli.stderr)
      return true
    })
    // a limit given as a number reaches the node: 64 bytes of stored values at most
    const h = home()
    const running = await startNode({ home: h, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, maxStoredBytes: 64 })
    try {
      const client = await connect({ home: h })
      const local = client.host.local()
      const walked = local.pipeline.anchor.walk(p => { p.path = 'big' })
      const stored = walked.pipeline.anchor.store(p => { p._initValue()._initBytes(65) })
      await assert.rejects(async () => { await stored }, LimitExceeded)
      for (const answer of [stored, walked, local]) answer.release()
      client.close()
    } finally { await running.stop() }
  })

  it('connect fails with one line naming the home when no node runs there', async () => {
    const h = home()
    await assert.rejects(connect({ home: h }), (err: Error) => {
      assert.ok(err instanceof WwError)
      assert.equal(err.message, `no ww node is running at ${h}; start one with 'ww start --home ${h}'`)
      return true
    })
  })

  it('exports only its public surface, and importing it starts nothing', async () => {
    const inside = 'ww/dist/src/host/node.js'
    await assert.rejects(import(inside), (err: NodeJS.ErrnoException) => err.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED')
    const r = await node(['--input-type=module', '-e', [
      "const ww = await import('ww')",
      "console.log(typeof ww.startNode, typeof ww.connect, typeof ww.AnchorClient, typeof ww.ChanClient, typeof ww.ExecutorClient)",
      'await new Promise(resolve => setTimeout(resolve, 50))', // the module loader's own file reads settle
      "const held = process.getActiveResourcesInfo().filter(r => r !== 'PipeWrap')", // stdout, stderr
      "console.log(JSON.stringify(held), process.listenerCount('SIGINT'), process.listenerCount('unhandledRejection'))"
    ].join('\n')])
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout, 'function function function function function\n[] 0 0\n')
  })
})
