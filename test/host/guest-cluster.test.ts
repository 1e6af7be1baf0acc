// The cluster from a guest (issue 20 §3), as a user runs it: three `ww start` nodes, guests run with `ww run`
// subprocesses. examples/calls.c and calls.ts (the C and AssemblyScript SDKs) print what each call returned,
// error codes included; examples/pool.c fans jobs out over the hosts a tag query matches.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { CliNode, eventually, tempHome, wwAsync, type CliResult } from './cli-node.js'
import { background, guest, withoutProgress } from './cli-procs.js'

const hashOf = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')

describe('host: the cluster from a guest (C and AssemblyScript SDKs)', function () {
  this.timeout(600_000)
  let a: CliNode, b: CliNode, c: CliNode
  /** The three peers in peer ID order (the order ww_nodes lists them in). */
  let sorted: string[]

  before(async function () {
    a = await CliNode.start(tempHome(), '--meta', 'zone=x', '--meta', 'role=a')
    ;[b, c] = await Promise.all([
      CliNode.start(tempHome(), '--meta', 'zone=x', '--meta', 'role=b', '--bootstrap', a.addrs[0]),
      CliNode.start(tempHome(), '--meta', 'zone=y', '--meta', 'role=c', '--bootstrap', a.addrs[0])
    ])
    for (const n of [a, b, c]) await eventually(async () => (await n.ls()).length === 3, 60_000, 'three hosts')
    sorted = [a.peer, b.peer, c.peer].sort()
  })

  after(() => { for (const n of [a, b, c]) n?.cleanup() })

  const run = async (node: CliNode, ...args: string[]): Promise<CliResult> => {
    const r = await wwAsync(['run', '--home', node.home, ...args])
    return { ...r, stderr: withoutProgress(r.stderr) }
  }
  /** Runs `calls MODE ARGS...` (C or AS) on `node`; must exit 0; its stdout. */
  const calls = async (sdk: string, node: CliNode, ...args: string[]): Promise<string> => {
    const r = await run(node, guest(sdk), '--', ...args)
    assert.equal(r.status, 0, `${sdk} ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
  const metaOf = (n: CliNode): string => n === a ? 'zone=x,role=a' : n === b ? 'zone=x,role=b' : 'zone=y,role=c'

  for (const sdk of ['calls', 'calls-as']) {
    describe(sdk === 'calls' ? 'C' : 'AssemblyScript', () => {
      it('who am I: peer ID, pid, module hash, number of live hosts', async () => {
        const out = await calls(sdk, b, 'who')
        const m = /^peer (\S+)\npid (\d+)\nhash ([0-9a-f]{64})\nnodes (\d+)\n$/.exec(out)
        assert.ok(m !== null, out)
        assert.equal(m[1], b.peer)
        assert.ok(Number(m[2]) > 0)
        assert.equal(m[3], hashOf(guest(sdk)))
        assert.equal(m[4], '3')
      })

      it('ww_nodes with several k=v pairs lists the hosts matching all of them, with their meta', async () => {
        const line = (n: CliNode): string => `${n.peer} ${metaOf(n)}\n`
        const inOrder = (...ns: CliNode[]): string => ns.sort((x, y) => x.peer < y.peer ? -1 : 1).map(line).join('')
        assert.equal(await calls(sdk, a, 'nodes'), inOrder(a, b, c))
        assert.equal(await calls(sdk, a, 'nodes', 'zone=x'), inOrder(a, b))
        assert.equal(await calls(sdk, c, 'nodes', 'zone=x', 'role=b'), inOrder(b))
        assert.equal(await calls(sdk, a, 'nodes', 'zone=y', 'role=b'), '')
      })

      it('recv with a timeout: Timeout on an empty channel (after the wait, and at once with 0), the message when there is one', async () => {
        const out = await calls(sdk, a, 'recv-timeout')
        assert.equal(out.replace(' waited>=200 1', ''), 'empty -8\npoll -8\ngot there\n')
        if (sdk === 'calls') assert.match(out, /^empty -8 waited>=200 1$/m)
      })

      it('select: the ready channel, a timeout (which -1), a message sent later by a child, a closed channel (which it was)', async () => {
        assert.equal(await calls(sdk, a, 'select'), 'ready 2 two\ntimeout -8 which -1\nlater 1 late\nclosed -2 which 0\n')
      })

      it('spawn with a capability argument: a child on another host (by peer ID, by tags) answers through the sender it was handed', async () => {
        for (const [where, host] of [[b.peer, b], ['zone=y\nrole=c', c]] as const) {
          assert.equal(await calls(sdk, a, 'spawn-caps', where),
            `child on ${host.peer}: caps 1, past the end -1\nchild exit 0 reason 0\n`)
        }
      })

      it('spawn with limits: a child on another host given a fuel budget runs out of it', async () => {
        assert.equal(await calls(sdk, a, 'spawn-fuel', c.peer), 'spin ended: code 0 reason 2\n')
      })

      it('spawn placed by several k=v pairs runs where all match; none matching is NOT_FOUND', async () => {
        assert.equal(await calls(sdk, a, 'spawn', 'zone=x\nrole=b'), 'spawn ok exit 0 reason 0\n')
        assert.equal(await calls(sdk, a, 'spawn', 'zone=y\nrole=b'), 'spawn -1\n')
      })

      it('every error path returns its typed code', async () => {
        const common = [
          'recv_timeout bad handle -5', 'select none -3', 'select 65 -6', 'arg_cap 0 -1', 'node_meta unknown -1',
          'publish no topic -3', 'subscribe no topic -3'
        ]
        const out = (await calls(sdk, a, 'errors')).split('\n').filter(l => l !== '')
        for (const line of common) assert.ok(out.includes(line), `${line} in ${out.join(' | ')}`)
        const own = sdk === 'calls'
          ? ['recv_timeout on a sender -3', 'select bad pointer -4', 'request on a recver -3', 'spawn_with an anchor -3',
              'spawn_with 17 caps -6', 'spawn_with no such host -1']
          : ['spawn no such host -1', 'wait bad handle -5', 'kill a channel -3', 'ls bad path -3']
        for (const line of own) assert.ok(out.includes(line), `${line} in ${out.join(' | ')}`)
        assert.equal(out.length, common.length + own.length, out.join(' | '))
      })
    })
  }

  it('request/reply in one call, across hosts (C and AS), and Timeout when nobody answers', async () => {
    const echo = background(['run', '--home', b.home, guest('echo'), '--', '/peer/rr-box', '6'])
    try {
      const expected = 'answer question 0\nanswer question 1\nanswer question 2\n'
      const cOut = await calls('calls', a, 'request', `/${b.peer}/rr-box`)
      assert.equal(cOut, `${expected}unanswered -8 waited>=200 1\n`)
      assert.equal(await calls('calls-as', c, 'request', `/${b.peer}/rr-box`), `${expected}unanswered -8\n`)
      const done = await echo.done
      assert.equal(done.status, 0, done.stderr)
    } finally { echo.signal('SIGTERM') }
  })

  it('select: two messages that arrive at once on two channels are both received, the second by the next select', async () => {
    assert.equal(await calls('calls', a, 'select-race'), '0 a\n1 b\nchild exit 0 reason 0\n')
  })

  it('spawn with a root: the child sees the given anchor as "/", and what it stores lands there', async () => {
    assert.equal(await calls('calls', a, 'spawn-root', '/peer/sandbox'), 'child ls /peer 0\n/peer/sandbox/x holds confined\n')
    const ls = await wwAsync(['ls', `/${a.peer}/sandbox`, '--home', a.home])
    assert.match(ls.stdout, /^\/?x/m)
  })

  it('AssemblyScript: spawn, kill, wait, a child\'s stdout, ls', async () => {
    assert.equal(await calls('calls-as', a, 'kill'), 'killed: code 0 reason 1\n')
    assert.equal(await calls('calls-as', a, 'stdout'), 'child said: from the child\nthen closed\n')
    const names = (await calls('calls-as', a, 'ls', '/peer')).split('\n')
    assert.ok(names.includes('sandbox'), `the anchor the spawn-root test made, in ${names.join(',')}`)
  })

  it('pub/sub: a guest subscribes and receives what ww pub publishes on another host; what a guest publishes reaches ww sub', async () => {
    for (const sdk of ['calls', 'calls-as']) {
      const topic = `gapi-${sdk}`
      const sub = background(['run', '--home', b.home, guest(sdk), '--', 'sub', topic, '1'])
      await eventually(() => sub.stdout().includes('subscribed'), 120_000, 'the guest subscribed')
      // gossip meshes form in a heartbeat or two: publish until the guest has it
      await eventually(async () => {
        await wwAsync(['pub', '--home', a.home, topic, 'hello guest'])
        return sub.exited() !== undefined || sub.stdout().includes('message hello guest')
      }, 60_000, 'the guest received the message')
      const done = await sub.done
      assert.equal(done.status, 0, done.stderr)
      assert.equal(done.stdout, 'subscribed\nmessage hello guest\n')

      const cli = background(['sub', '--home', c.home, `${topic}-back`])
      try {
        await eventually(async () => {
          await calls(sdk, a, 'pub', `${topic}-back`, 'from a guest')
          return cli.stdout().includes('from a guest')
        }, 60_000, 'ww sub received the guest\'s message')
      } finally { cli.signal('SIGTERM') }
    }
  })

  it('ww run --where with several pairs runs only where all match; none matching is one line and exit 3', async () => {
    for (let i = 0; i < 4; i++) { // one of the two zone=x hosts at random, if only the last pair counted
      const r = await run(a, guest('calls'), '--where', 'zone=x', '--where', 'role=b', '--', 'who')
      assert.equal(r.status, 0, r.stderr)
      assert.match(r.stdout, new RegExp(`^peer ${b.peer}$`, 'm'))
    }
    const r = await run(a, guest('calls'), '--where', 'zone=y', '--where', 'role=a', '--', 'who')
    assert.equal(r.status, 3)
    assert.equal(r.stderr, 'ww: no live host matches zone=y role=a\n')
  })

  it('pool: jobs fanned out round-robin over three hosts, async and sync, results in order; a tag query narrows the hosts', async () => {
    const expect = (n: number, hosts: string[]): string =>
      Array.from({ length: n }, (_, i) => `job ${i} = ${i * i} on ${hosts[i % hosts.length]}\n`).join('')
    assert.equal(await calls('pool', a, '6', 'rr', 'async'), expect(6, sorted))
    assert.equal(await calls('pool', b, '4', 'rr', 'sync'), expect(4, sorted))
    const zoneX = [a.peer, b.peer].sort()
    assert.equal(await calls('pool', c, '4', 'rr', 'async', 'zone=x'), expect(4, zoneX))
    const random = await calls('pool', a, '5', 'random', 'async')
    const lines = random.split('\n').filter(l => l !== '')
    assert.equal(lines.length, 5)
    lines.forEach((l, i) => { assert.match(l, new RegExp(`^job ${i} = ${i * i} on (${sorted.join('|')})$`)) })
    const none = await run(a, guest('pool'), '--', '2', 'rr', 'async', 'zone=nowhere')
    assert.equal(none.status, 1)
    assert.equal(none.stderr, 'pool: no live host matches the query\n')
  })

  // last (mocha runs a suite's tests before its nested suites, and those in order): it kills c
  describe('unreachable', () => {
    it('a spawn or a load toward a host that is listed but unreachable returns UNAVAILABLE (-13) or DISCONNECTED (-9), not -99', async () => {
      await c.stop('SIGKILL')
      const listed = (await a.ls()).includes(c.peer)
      assert.ok(listed, 'c is still listed until its heartbeats expire')
      const r = await run(a, guest('calls'), '--', 'spawn', c.peer)
      assert.equal(r.status, 0, r.stderr)
      assert.match(r.stdout, /^spawn -1[39]$/m, 'Unavailable (dial refused) or Disconnected (the link broke under it)')
      assert.match(r.stderr, /^(Unavailable|Disconnected): /)
      const l = await run(a, guest('calls'), '--', 'load', `/${c.peer}/anything`)
      assert.equal(l.status, 0, l.stderr)
      assert.match(l.stdout, /^load -1[39]$/m, l.stdout + l.stderr)
      assert.match(l.stderr, /^(Unavailable|Disconnected): /)
    })
  })
})
