import assert from 'node:assert/strict'
import { CliNode, eventually, tempHome, ww, wwAsync } from './cli-node.js'

const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && [...a].sort().join() === [...b].sort().join()

describe('host: ww start, ww ls / and pubsub through the CLI', function () {
  this.timeout(90_000)
  const nodes: CliNode[] = []

  afterEach(() => {
    for (const n of nodes.splice(0)) n.cleanup()
  })

  async function cluster (n: number, extra: string[][] = []): Promise<CliNode[]> {
    const first = await CliNode.start(tempHome(), '--ttl', '2', ...(extra[0] ?? []))
    nodes.push(first)
    const rest = await Promise.all(Array.from({ length: n - 1 }, async (_, i) =>
      await CliNode.start(tempHome(), '--ttl', '2', '--bootstrap', first.addrs[0], ...(extra[i + 1] ?? []))))
    nodes.push(...rest)
    return [first, ...rest]
  }

  it('three nodes each list all three within 3 s; a graceful stop leaves within 1 s, a killed node after its TTL', async () => {
    const [a, b, c] = await cluster(3)
    const all = [a.peer, b.peer, c.peer]
    for (const n of [a, b, c]) {
      await eventually(async () => sameSet(await n.ls(), all), 3000, `${n.peer} to list all three hosts`)
    }

    assert.equal(await c.stop('SIGTERM'), 0)
    for (const n of [a, b]) {
      await eventually(async () => sameSet(await n.ls(), [a.peer, b.peer]), 1000, 'the stopped node to disappear')
    }

    // No leave message from a killed node: the others drop it once its TTL (2 s) has run out.
    await b.stop('SIGKILL')
    await eventually(async () => sameSet(await a.ls(), [a.peer]), 2000 + 3000, 'the killed node to expire')
  })

  it('--where keeps hosts whose meta has every pair; --json gives the records', async () => {
    const [a, b] = await cluster(2, [['--meta', 'zone=eu', '--meta', 'gpu=no'], ['--meta', 'zone=us']])
    await eventually(async () => (await a.ls()).length === 2, 3000, 'both hosts')
    assert.deepEqual(await a.ls('--where', 'zone=eu'), [a.peer])
    assert.deepEqual(await a.ls('--where', 'zone=us'), [b.peer])
    assert.deepEqual(await a.ls('--where', 'zone=eu', '--where', 'gpu=yes'), [])
    const r = await wwAsync(['ls', '/', '--home', b.home, '--json'])
    const records = JSON.parse(r.stdout) as Array<{ peer: string, meta: string[], addrs: string[], lastSeen: string, instance: string }>
    const ra = records.find(x => x.peer === a.peer)!
    assert.deepEqual([...ra.meta].sort(), ['gpu=no', 'zone=eu'])
    assert.ok(ra.addrs.some(x => x.includes('/ip4/127.0.0.1/tcp/')))
    assert.match(ra.instance, /^[0-9a-f]{16}$/)
    assert.ok(Date.now() - Date.parse(ra.lastSeen) < 10_000)
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
    await eventually(async () => (await b.ls()).length === 2, 3000, 'both hosts')
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
