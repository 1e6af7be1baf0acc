// What `ww start` says and how it fails, ww start --detach, ww connect and ww id, through the real CLI.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { CliNode, eventually, tempHome, ww, wwAsync } from './cli-node.js'

const LONG_TTL = ['--ttl', '60']
const oneLine = (s: string): boolean => s.endsWith('\n') && !s.slice(0, -1).includes('\n')
/** A peer ID nobody runs (a valid one: the address must parse). */
const NOBODY = '12D3KooWBsycUEcKnXdoWtNJhpQDW682x316Kv2poxyHV5MmFfSr'

describe('host: what ww start says, detach, connect, id', function () {
  this.timeout(240_000)
  const nodes: CliNode[] = []
  const detached: string[] = []
  afterEach(async () => {
    for (const n of nodes.splice(0)) n.cleanup()
    for (const home of detached.splice(0)) await wwAsync(['stop', '--home', home])
  })

  it('a running node says when a host joins and leaves ("left"), and when it stops; --quiet says none of it', async () => {
    const a = await CliNode.start(tempHome(), ...LONG_TTL)
    const quiet = await CliNode.start(tempHome(), ...LONG_TTL, '--quiet', '--bootstrap', a.addrs[0])
    nodes.push(a, quiet)
    const b = await CliNode.start(tempHome(), ...LONG_TTL, '--bootstrap', a.addrs[0])
    nodes.push(b)
    const joined = (n: CliNode, peer: string): RegExp => new RegExp(`^ww: host ${peer} joined \\(.+\\)$`, 'm')
    await eventually(() => joined(a, b.peer).test(a.stderr) && joined(a, quiet.peer).test(a.stderr), 30_000, 'a to say b and quiet joined')
    await eventually(async () => (await quiet.ls()).length === 3, 30_000, 'the quiet node to list all three')
    assert.equal(await b.stop(), 0)
    await eventually(() => new RegExp(`^ww: host ${b.peer} left$`, 'm').test(a.stderr), 20_000, 'a to say b left')
    await eventually(async () => (await quiet.ls()).length === 2, 20_000, 'the quiet node to drop b')
    assert.equal(await quiet.stop(), 0)
    assert.equal(quiet.stderr, '')
  })

  it('an unreachable --bootstrap: one warning naming the address and the reason, once, while the node keeps retrying', async () => {
    const addr = `/ip4/127.0.0.1/tcp/1/p2p/${NOBODY}`
    // DEBUG shows each dial attempt, so the test counts retries rather than waiting for them.
    const debug = process.env.DEBUG
    process.env.DEBUG = 'ww:cluster:bootstrap'
    let n: CliNode
    try {
      n = await CliNode.start(tempHome(), '--bootstrap', addr)
    } finally {
      if (debug === undefined) delete process.env.DEBUG
      else process.env.DEBUG = debug
    }
    nodes.push(n)
    const warning = `ww: cannot reach bootstrap peer ${addr}: connection refused (is a node listening there?); retrying in `
    const attempts = (): number => n.stderr.split('bootstrap dial of').length - 1
    await eventually(() => attempts() >= 4, 60_000, 'four dial attempts')
    assert.equal(n.stderr.split(warning).length - 1, 1, n.stderr)
    assert.equal((await n.ls()).length, 1)
    assert.match(n.stderr, /then less often \(at most every 30 s\)\n/)
  })

  it('a --listen port already taken: one line, exit 69; malformed --listen/--bootstrap and bad --ttl: one line, exit 2', async () => {
    const a = await CliNode.start(tempHome())
    nodes.push(a)
    const taken = a.addrs[0].replace(/\/p2p\/.*$/, '')
    const home = tempHome()
    const r = ww('start', '--home', home, '--no-mdns', '--listen', taken)
    assert.equal(r.status, 69)
    assert.equal(r.stderr, `ww: cannot listen on ${taken}: address already in use; pick another port or stop what holds it\n`)
    const cases: Array<[string[], RegExp]> = [
      [['--listen', '/ip4/127.0.0.1/tcpx/1'], /^ww: bad listen address "\/ip4\/127.0.0.1\/tcpx\/1": .*a multiaddr looks like/],
      [['--bootstrap', 'nonsense'], /^ww: bad bootstrap address "nonsense": /],
      [['--bootstrap', '/ip4/127.0.0.1/tcp/4001'], /^ww: bootstrap address \/ip4\/127.0.0.1\/tcp\/4001 lacks \/p2p\/<peer ID>/],
      [['--ttl', 'abc'], /^ww: --ttl must be a number of seconds from 0.1 to 3600, got "abc"\n$/],
      [['--ttl', '0.01'], /^ww: --ttl must be a number of seconds from 0.1 to 3600, got "0.01"\n$/],
      [['--ttl', '7200'], /^ww: --ttl must be a number of seconds from 0.1 to 3600, got "7200"\n$/]
    ]
    for (const [args, line] of cases) {
      const bad = ww('start', '--home', home, '--no-mdns', ...args)
      assert.equal(bad.status, 2, `${args.join(' ')}: ${bad.stderr}`)
      assert.ok(oneLine(bad.stderr), bad.stderr)
      assert.match(bad.stderr, line)
    }
  })

  it('a peer of another namespace is named once, not joined', async () => {
    const a = await CliNode.start(tempHome(), ...LONG_TTL)
    const other = await CliNode.start(tempHome(), ...LONG_TTL, '--ns', 'other', '--bootstrap', a.addrs[0])
    nodes.push(a, other)
    const said = new RegExp(`^ww: peer ${a.peer} is in namespace 'ww', not 'other': not joining it \\(start with --ns ww to\\)$`, 'm')
    await eventually(() => said.test(other.stderr), 30_000, 'the other-namespace node to name a')
    assert.deepEqual(await other.ls(), [other.peer])
    assert.equal(other.stderr.split('\n').filter(l => said.test(l)).length, 1)
  })

  it('ww start --detach returns once the node answers (ww id works at once, one line); with --bootstrap, once it has joined', async () => {
    const homeA = tempHome()
    detached.push(homeA)
    const a = await wwAsync(['start', '--home', homeA, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--detach'])
    assert.equal(a.status, 0, a.stderr)
    const [peerLine, ...listens] = a.stdout.trim().split('\n')
    const peer = /^peer (\S+)$/.exec(peerLine)![1]
    assert.ok(listens.length > 0 && listens.every(l => /^listen \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//.test(l)), a.stdout)
    const id = await wwAsync(['id', '--home', homeA])
    assert.equal(id.stdout, `${peer}\n`)
    const addrs = await wwAsync(['id', '--home', homeA, '--addrs'])
    assert.deepEqual(addrs.stdout.trim().split('\n'), listens.map(l => l.slice('listen '.length)))
    assert.ok(existsSync(join(homeA, 'ww.log')))

    const homeB = tempHome()
    detached.push(homeB)
    const b = await wwAsync(['start', '--home', homeB, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '-d', '--bootstrap', listens[0].slice('listen '.length)])
    assert.equal(b.status, 0, b.stderr)
    assert.equal(b.stderr, '')
    const ls = await wwAsync(['ls', '/', '--home', homeB])
    assert.equal(ls.stdout.trim().split('\n').length, 2, ls.stdout)

    // A second detached node on the same home: the node's own line, and its exit code.
    const again = await wwAsync(['start', '--home', homeA, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--detach'])
    assert.equal(again.status, 5)
    assert.match(again.stderr, /^ww: a ww node \(pid \d+\) is already running at /)
    assert.ok(oneLine(again.stderr))
  })

  it('ww connect dials a peer and prints its ID; malformed: exit 2; unreachable: exit 69; one line each', async () => {
    const a = await CliNode.start(tempHome(), ...LONG_TTL)
    const b = await CliNode.start(tempHome(), ...LONG_TTL)
    nodes.push(a, b)
    assert.deepEqual(await a.ls(), [a.peer])
    const r = await wwAsync(['connect', b.addrs[0], '--home', a.home])
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout, `${b.peer}\n`)
    await eventually(async () => (await a.ls()).length === 2, 30_000, 'a to list b after the connect')

    const bad = await wwAsync(['connect', '/ipx/1', '--home', a.home])
    assert.equal(bad.status, 2)
    assert.ok(oneLine(bad.stderr))
    assert.match(bad.stderr, /^ww: bad peer address "\/ipx\/1": /)
    const self = await wwAsync(['connect', a.addrs[0], '--home', a.home])
    assert.equal(self.status, 2)
    assert.equal(self.stderr, `ww: ${a.addrs[0]} is this node itself\n`)
    const gone = await wwAsync(['connect', '/ip4/127.0.0.1/tcp/1', '--home', a.home])
    assert.equal(gone.status, 69)
    assert.equal(gone.stderr, 'ww: cannot reach /ip4/127.0.0.1/tcp/1: connection refused (is a node listening there?)\n')
  })
})
