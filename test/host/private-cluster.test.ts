// Private clusters with real `ww start` nodes on 127.0.0.1: a swarm key keeps out every node without it.
import assert from 'node:assert/strict'
import { copyFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CliNode, eventually, ok, tempHome, wwAsync } from './cli-node.js'

const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && [...a].sort().join() === [...b].sort().join()
/** Far above what joining takes at load 10 on 2 vCPUs. */
const JOIN_BOUND_MS = 30_000
const REFUSED = /^ww: refused a connection from \/ip4\/127\.0\.0\.1\/tcp\/\d+: it failed the swarm key check/gm

describe('host: private clusters (ww start --swarm-key, ww key swarm)', function () {
  this.timeout(300_000)
  const nodes: CliNode[] = []
  const detached: string[] = []
  afterEach(async () => {
    for (const n of nodes.splice(0)) n.cleanup()
    for (const home of detached.splice(0)) await wwAsync(['stop', '--home', home])
  })

  async function start (home: string, ...extra: string[]): Promise<CliNode> {
    const n = await CliNode.start(home, '--ttl', '60', ...extra)
    nodes.push(n)
    return n
  }

  /** A new key file in a fresh directory. */
  async function newKey (): Promise<string> {
    const file = join(tempHome(), 'swarm.key')
    await ok(['key', 'swarm', '--out', file])
    return file
  }

  it('two clusters with different keys never see each other, and a keyless node sees neither', async () => {
    const [k1, k2] = [await newKey(), await newKey()]
    // a1 takes its key from <home>/swarm.key, the others from --swarm-key.
    const a1Home = tempHome()
    copyFileSync(k1, join(a1Home, 'swarm.key'))
    const a1 = await start(a1Home)
    const b1 = await start(tempHome(), '--swarm-key', k2, '--bootstrap', a1.addrs[0])
    // Each bootstraps to both clusters: only its own can answer.
    const a2 = await start(tempHome(), '--swarm-key', k1, '--bootstrap', b1.addrs[0], '--bootstrap', a1.addrs[0])
    const b2 = await start(tempHome(), '--swarm-key', k2, '--bootstrap', a1.addrs[0], '--bootstrap', b1.addrs[0])
    const keyless = await start(tempHome(), '--bootstrap', a1.addrs[0], '--bootstrap', b1.addrs[0])

    for (const [n, own] of [[a1, [a1, a2]], [a2, [a1, a2]], [b1, [b1, b2]], [b2, [b1, b2]]] as const) {
      await eventually(async () => sameSet(await n.ls(), own.map(x => x.peer)), JOIN_BOUND_MS, `${n.peer} to list its own cluster`)
    }
    // The foreign dials did happen: both first nodes refused at least one (b1 and the keyless node dialed a1;
    // a2, b2's first try and the keyless node dialed b1).
    for (const n of [a1, b1]) await eventually(() => n.stderr.match(REFUSED) !== null, JOIN_BOUND_MS, `${n.peer} to refuse a foreign connection`)

    // A direct dial across fails with one line and exit 69, however often it is tried.
    for (let i = 0; i < 3; i++) {
      const across = await wwAsync(['connect', '--home', b2.home, a1.addrs[0]])
      assert.equal(across.status, 69, across.stderr)
      assert.match(across.stderr, /^ww: cannot reach \S+: [^\n]*the peer (has|may have) no swarm key,? or another one[^\n]*\n$/)
      const fromKeyless = await wwAsync(['connect', '--home', keyless.home, b1.addrs[0]])
      assert.equal(fromKeyless.status, 69, fromKeyless.stderr)
      // The node without a key cannot tell a private cluster from garbage; a reset may come before the handshake fails.
      assert.match(fromKeyless.stderr, /^ww: cannot reach \S+: (encryption handshake failed [^\n]*a private cluster \(swarm key\) this node is not part of|connection reset)[^\n]*\n$/)
    }
    // Every node lists exactly its own cluster; the keyless node only itself.
    for (const [n, own] of [[a1, [a1, a2]], [a2, [a1, a2]], [b1, [b1, b2]], [b2, [b1, b2]], [keyless, [keyless]]] as const) {
      assert.deepEqual((await n.ls()).sort(), own.map(x => x.peer).sort(), `${n.peer}'s view`)
    }
    // Many refused connections from one host (all these nodes share 127.0.0.1): one line.
    const b1Refused = b1.stderr.match(REFUSED) ?? []
    assert.equal(b1Refused.length, 1, b1.stderr)
    assert.equal((a1.stderr.match(REFUSED) ?? []).length, 1, a1.stderr)
    // The keyless and the foreign nodes never hear of a host of the other clusters.
    for (const n of [keyless, b1, b2]) assert.doesNotMatch(n.stderr, new RegExp(`host (${a1.peer}|${a2.peer}) joined`))
  })

  it('says the cluster is private, with the key\'s fingerprint and never the key; the same key shows the same fingerprint', async () => {
    const [k1, k2] = [await newKey(), await newKey()]
    const a = await start(tempHome(), '--swarm-key', k1)
    const b = await start(tempHome(), '--swarm-key', k1, '--bootstrap', a.addrs[0])
    const c = await start(tempHome(), '--swarm-key', k2)
    const open = await start(tempHome())
    const fingerprint = (n: CliNode, file: string): string => {
      const m = new RegExp(`^ww: private cluster: swarm key ${file} \\(fingerprint ([0-9a-f]{32})\\)$`, 'm').exec(n.stderr)
      assert.ok(m !== null, n.stderr)
      return m[1]
    }
    await eventually(() => /private cluster/.test(c.stderr), JOIN_BOUND_MS, 'the private cluster line')
    assert.equal(fingerprint(a, k1), fingerprint(b, k1))
    assert.notEqual(fingerprint(a, k1), fingerprint(c, k2))
    for (const [n, file] of [[a, k1], [b, k1], [c, k2]] as const) {
      const hex = readFileSync(file, 'utf8').split('\n')[2]
      assert.ok(!n.stderr.includes(hex) && !n.stderr.toLowerCase().includes(hex.slice(0, 16)), 'the key itself is never printed')
    }
    assert.doesNotMatch(open.stderr, /private cluster/)
    await eventually(async () => sameSet(await a.ls(), [a.peer, b.peer]), JOIN_BOUND_MS, 'the two nodes with one key to converge')
  })

  it('ww start --detach passes the key on: the detached node joins the private cluster, and says so in its log', async () => {
    const key = await newKey()
    const a = await start(tempHome(), '--swarm-key', key)
    const home = tempHome()
    detached.push(home)
    const r = await wwAsync(['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--swarm-key', key,
      '--bootstrap', a.addrs[0], '--detach'])
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stderr, '', 'joined: no warning')
    const peer = /^peer (\S+)$/m.exec(r.stdout)![1]
    await eventually(async () => sameSet(await a.ls(), [a.peer, peer]), JOIN_BOUND_MS, 'the detached node to join')
    assert.match(readFileSync(join(home, 'ww.log'), 'utf8'), new RegExp(`^ww: private cluster: swarm key ${key} \\(fingerprint [0-9a-f]{32}\\)$`, 'm'))
  })
})
