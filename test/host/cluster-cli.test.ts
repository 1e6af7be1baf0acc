import assert from 'node:assert/strict'
import { CliNode, eventually, tempHome, ww, wwAsync } from './cli-node.js'

const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && [...a].sort().join() === [...b].sort().join()

describe('host: ww start, ww ls / and pubsub through the CLI', function () {
  this.timeout(240_000)
  const nodes: CliNode[] = []

  afterEach(() => {
    for (const n of nodes.splice(0)) n.cleanup()
  })

  /** Bounds far above what joining or leaving takes at load 10 on 2 vCPUs: the properties below are measured otherwise. */
  const JOIN_BOUND_MS = 30_000

  async function cluster (n: number, extra: string[][] = [], ttl = '2'): Promise<CliNode[]> {
    const first = await CliNode.start(tempHome(), '--ttl', ttl, ...(extra[0] ?? []))
    nodes.push(first)
    const rest = await Promise.all(Array.from({ length: n - 1 }, async (_, i) =>
      await CliNode.start(tempHome(), '--ttl', ttl, '--bootstrap', first.addrs[0], ...(extra[i + 1] ?? []))))
    nodes.push(...rest)
    return [first, ...rest]
  }

  it('three nodes each list all three; a graceful stop is dropped because it left (60 s TTL), not by expiry', async () => {
    const [a, b, c] = await cluster(3, [], '60')
    const all = [a.peer, b.peer, c.peer]
    for (const n of [a, b, c]) {
      await eventually(async () => sameSet(await n.ls(), all), JOIN_BOUND_MS, `${n.peer} to list all three hosts`)
    }
    assert.equal(await c.stop('SIGTERM'), 0)
    // With a 60 s TTL, a drop within 20 s can only be c's leave; each node also says so.
    for (const n of [a, b]) {
      await eventually(async () => sameSet(await n.ls(), [a.peer, b.peer]), 20_000, 'the stopped node to disappear')
      assert.match(n.stderr, new RegExp(`^ww: host ${c.peer} left$`, 'm'))
    }
  })

  it('a killed node (no leave) is dropped once its TTL ran out, and is said to have expired', async () => {
    const [a, b] = await cluster(2)
    await eventually(async () => sameSet(await a.ls(), [a.peer, b.peer]), JOIN_BOUND_MS, 'a to list both')
    await b.stop('SIGKILL')
    await eventually(async () => sameSet(await a.ls(), [a.peer]), 2000 + JOIN_BOUND_MS, 'the killed node to expire')
    assert.match(a.stderr, new RegExp(`^ww: host ${b.peer} expired`, 'm'))
    assert.doesNotMatch(a.stderr, new RegExp(`^ww: host ${b.peer} left$`, 'm'))
  })

  it('--where keeps hosts whose meta has every pair; --json gives the records', async () => {
    const [a, b] = await cluster(2, [['--meta', 'zone=eu', '--meta', 'gpu=no'], ['--meta', 'zone=us']])
    await eventually(async () => (await a.ls()).length === 2, JOIN_BOUND_MS, 'both hosts')
    assert.deepEqual(await a.ls('--where', 'zone=eu'), [a.peer])
    assert.deepEqual(await a.ls('--where', 'zone=us'), [b.peer])
    assert.deepEqual(await a.ls('--where', 'zone=eu', '--where', 'gpu=yes'), [])
    const r = await wwAsync(['ls', '/', '--home', b.home, '--json'])
    const records = JSON.parse(r.stdout) as Array<{ peer: string, meta: string[], addrs: string[], lastSeen: string, instance: string }>
    const ra = records.find(x => x.peer === a.peer)!
    assert.deepEqual([...ra.meta].sort(), ['gpu=no', 'zone=eu'])
    assert.ok(ra.addrs.some(x => x.includes('/ip4/127.0.0.1/tcp/')))
    assert.match(ra.instance, /^[0-9a-f]{16}$/)
    assert.ok(Date.now() - Date.parse(ra.lastSeen) < 60_000, `lastSeen ${ra.lastSeen}`) // a date, and recent
    const bad = await wwAsync(['ls', '/', '--home', b.home, '--where', 'novalue'])
    assert.notEqual(bad.status, 0)
    assert.equal(bad.stderr.trim().split('\n').length, 1)
  })

  it('a restart keeps the peer ID; a second node on the same home is refused', async () => {
    const home = tempHome()
    const first = await CliNode.start(home)
    nodes.push(first)
    const again = ww('start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0')
    assert.equal(again.status, 5)
    assert.match(again.stderr, /already running at/)
    const id = JSON.parse((await wwAsync(['id', '--home', home, '--json'])).stdout)
    assert.equal(id.peer, first.peer)
    await first.stop()
    const second = await CliNode.start(home)
    nodes.push(second)
    assert.equal(second.peer, first.peer)
  })

  it('pub/sub round trip between two nodes', async () => {
    const [a, b] = await cluster(2)
    await eventually(async () => (await b.ls()).length === 2, JOIN_BOUND_MS, 'both hosts')
    const sub = wwAsync(['sub', 'news', '--home', a.home, '--count', '2', '--from'])
    // Gossipsub needs a moment to learn of the new subscription: publish until the subscriber has two.
    const pub = setInterval(() => { void wwAsync(['pub', 'news', 'hello from b', '--home', b.home]) }, 300)
    let got
    try {
      got = await sub
    } finally {
      clearInterval(pub)
    }
    assert.equal(got.status, 0, got.stderr)
    assert.deepEqual(got.stdout.trim().split('\n'), [`${b.peer} hello from b`, `${b.peer} hello from b`])
  })

  it('commands with no node running say so in one line, naming the --home given, and exit 69', () => {
    const home = tempHome()
    const r = ww('ls', '/', '--home', home)
    assert.equal(r.status, 69)
    assert.equal(r.stderr, `ww: no ww node is running at ${home}; start one with 'ww start --home ${home}'\n`)
  })
})
