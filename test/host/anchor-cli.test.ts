import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { CliNode, eventually, sleep, tempHome, wwAsync, wwBin } from './cli-node.js'

describe('host: anchors and channels through the CLI, across two nodes', function () {
  this.timeout(120_000)
  let a: CliNode
  let b: CliNode

  before(async () => {
    a = await CliNode.start(tempHome())
    b = await CliNode.start(tempHome(), '--bootstrap', a.addrs[0])
    await eventually(async () => (await b.ls()).length === 2 && (await a.ls()).length === 2, 5000, 'both hosts')
  })

  after(() => {
    a?.cleanup()
    b?.cleanup()
  })

  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await wwAsync(args, input)
    assert.equal(r.status, 0, `ww ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }

  it('B sends 10,000 lines to a channel stored at /<A>/mailbox; A receives all, in order, none twice', async () => {
    await ok(['mkchan', `/${a.peer}/mailbox`, '--cap', '16', '--home', a.home])
    assert.equal(await ok(['ls', `/${a.peer}`, '--home', b.home]), 'mailbox\tchan\n')
    const n = 10_000
    const lines = Array.from({ length: n }, (_, i) => `message ${i}`)
    const received = wwAsync(['recv', '/peer/mailbox', '--count', String(n), '--home', a.home])
    await ok(['send', `/${a.peer}/mailbox`, '--home', b.home], lines.join('\n') + '\n')
    const got = await received
    assert.equal(got.status, 0, got.stderr)
    assert.deepEqual(got.stdout.split('\n').slice(0, -1), lines)
    await ok(['rm', `/${a.peer}/mailbox`, '--home', b.home])
  })

  it('backpressure: capacity 4 and no receiver, the 5th send waits until A receives once', async () => {
    await ok(['mkchan', '/peer/slow', '--cap', '4', '--home', a.home])
    const sender = spawn(wwBin, ['send', `/${a.peer}/slow`, '--home', b.home], { stdio: ['pipe', 'ignore', 'pipe'] })
    let exited = false
    const done = new Promise<number | null>(resolve => sender.on('exit', code => { exited = true; resolve(code) }))
    sender.stdin.end('1\n2\n3\n4\n5\n')
    await sleep(3000)
    assert.equal(exited, false, 'the sender finished although the buffer was full')
    assert.equal(await ok(['recv', '/peer/slow', '--home', a.home]), '1\n')
    assert.equal(await done, 0)
    assert.equal(await ok(['recv', '/peer/slow', '--count', '4', '--home', a.home]), '2\n3\n4\n5\n')
    await ok(['rm', '/peer/slow', '--home', a.home])
  })

  it('store, load, ls --json and rm of bytes; overwrite needs --force', async () => {
    await ok(['store', `/${a.peer}/jobs/config`, '--bytes', 'v1', '--home', b.home])
    assert.equal(await ok(['load', '/peer/jobs/config', '--home', a.home]), 'v1')
    const taken = await wwAsync(['store', `/${a.peer}/jobs/config`, '--bytes', 'v2', '--home', b.home])
    assert.equal(taken.status, 5)
    assert.match(taken.stderr, /^ww: .*already holds a bytes value\n$/)
    await ok(['store', `/${a.peer}/jobs/config`, '--bytes', 'v2', '--force', '--home', b.home])
    assert.equal(await ok(['load', `/${a.peer}/jobs/config`, '--home', b.home]), 'v2')
    assert.deepEqual(JSON.parse(await ok(['ls', `/${a.peer}/jobs`, '--json', '--home', b.home])), [{ name: 'config', kind: 'bytes', children: 0 }])
    await ok(['rm', `/${a.peer}/jobs/config`, '--home', b.home])
    // Nothing refers to the anchors any more: they are gone.
    assert.equal(await ok(['ls', `/${a.peer}`, '--home', b.home]), '')
  })

  it('bad paths, unknown peers and empty anchors get one clear line', async () => {
    const cases: Array<[string[], RegExp, number]> = [
      [['ls', '/peer/../etc'], /"\.\." is not allowed/, 2],
      [['ls', '/peer/a b'], /not allowed|printable/, 2],
      [['load', '/12D3KooWNoSuchPeer/x'], /no live host "12D3KooWNoSuchPeer"/, 3],
      [['send', '/peer/nothing', 'hi'], /holds no channel/, 2],
      [['recv', '/peer/nothing', '--timeout', '1'], /holds no channel/, 2],
      [['load', '/peer/nothing'], /holds no value/, 3]
    ]
    for (const [args, pattern, code] of cases) {
      const r = await wwAsync([...args, '--home', b.home])
      assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stderr.split('\n').length, 2, r.stderr)
      assert.match(r.stderr, pattern)
    }
    // The node is still fine.
    assert.equal((await b.ls()).length, 2)
  })
})
