// Deployments on three real nodes (`ww start` processes), driven by `ww` commands: placement with --spread,
// scaling from another host, undeploy, a crashing module's backoff, kill -9 of a host, and every host restarting.
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { connect, PermissionDenied } from 'ww'
import { CliNode, eventually, ok, tempHome, wwAsync } from './cli-node.js'
import { versionText } from '../../cmd/version-text.js'
import { TTL_S, cluster, converged, deployments, join, runsAs, total } from './deploy-cluster.js'

const guest = (name: string): string => fileURLToPath(new URL(`../../../guest/build/${name}.wasm`, import.meta.url))
const IDLE = guest('idle')
const LOOP = guest('loop')
const ENVIRON = guest('environ')

describe('deployments on three nodes', function () {
  this.timeout(240_000)
  let nodes: CliNode[] = []
  let a: CliNode, b: CliNode, c: CliNode

  before(async () => {
    nodes = await cluster([['zone=a'], ['zone=b'], ['zone=c']])
    ;[a, b, c] = nodes
  })
  after(() => { for (const n of nodes) n.cleanup() })

  it('places 5 replicas with --spread zone as 2/2/1, scales them from another host to 1, and undeploys', async () => {
    const out = await ok(['deploy', 'web', IDLE, '--replicas', '5', '--spread', 'zone', '--home', a.home])
    // the version as the UTC time it was made, to the millisecond; --json and ww deployments --json keep the number
    const shown = /^web v(\d{8}T\d{6}\.\d{3}Z)\n$/.exec(out)
    assert.ok(shown !== null, out)
    const version = (await deployments(a)).find(x => x.name === 'web')!.version
    assert.equal(`v${shown[1]}`, versionText(version))
    assert.ok(Math.abs(version - Date.now()) < 600_000, `version ${version} is a time in ms`)
    const counts = await runsAs(c, 'web', m => total(m) === 5 && m.size === 3, '5 replicas on 3 hosts')
    assert.deepEqual([...counts.values()].sort(), [1, 2, 2])
    // each replica is an ordinary proc of its host, and ww ps --all says which deployment it belongs to
    const ps = JSON.parse(await ok(['ps', '--all', '--json', '--home', b.home])) as Array<{ name: string, state: string, deployment?: string }>
    assert.deepEqual(ps.filter(p => p.state === 'running').map(p => p.deployment).sort(), ['web#0', 'web#1', 'web#2', 'web#3', 'web#4'])
    const text = await ok(['ps', '--all', '--home', c.home])
    assert.match(text, /^ID\s+STATE\s+STARTED\s+UPTIME\s+DEPLOYMENT\s+NAME\s+ARGS$/m)
    assert.equal(text.split('\n').filter(l => /\srunning\s.*\sweb#\d\s+web#\d$/.test(l)).length, 5)

    const scaled = JSON.parse(await ok(['scale', 'web', '1', '--json', '--home', c.home])) as { name: string, version: number }
    assert.equal(scaled.name, 'web')
    assert.ok(scaled.version > version)
    assert.match(await ok(['deployments', '--home', c.home]), new RegExp(`^web\\s+1\\s+\\d\\s+\\d+\\s+[0-9a-f]{12}\\s+${versionText(scaled.version).replace('.', '\\.')}\\s+1 replicas, spread over zone$`, 'm'))
    await runsAs(a, 'web', m => total(m) === 1, 'one replica left')
    // the four others ended: no host runs more than one web proc
    await eventually(async () => {
      const all = JSON.parse(await ok(['ps', '--all', '--json', '--home', a.home])) as Array<{ name: string, state: string }>
      return all.filter(p => p.name.startsWith('web#') && p.state === 'running').length === 1
    }, 60_000, 'four web procs stopped')

    await ok(['undeploy', 'web', '--home', b.home])
    await eventually(async () => {
      const all = JSON.parse(await ok(['ps', '--all', '--json', '--home', c.home])) as Array<{ name: string, state: string }>
      return all.every(p => !p.name.startsWith('web#') || p.state !== 'running')
    }, 60_000, 'every web proc stopped')
    for (const n of nodes) assert.deepEqual((await deployments(n)).map(d => d.name), [])
  })

  it('restarts a crashing replica with backoff and shows it in ww deployments', async () => {
    await ok(['deploy', 'crash', LOOP, '--fuel', '1000', '--home', a.home])
    let d = (await deployments(b))[0]
    await eventually(async () => {
      d = (await deployments(b)).find(x => x.name === 'crash')!
      return d.replicas.length === 1 && d.replicas[0].restarts >= 2
    }, 60_000, 'two restarts')
    assert.match(d.replicas[0].lastExit, /fuel/)
    // backoff: after 2 ends the next start waits 2 s, so it is seen waiting
    await eventually(async () => (await deployments(c)).find(x => x.name === 'crash')?.replicas[0]?.state === 'backoff', 60_000, 'a replica in backoff')
    const text = await ok(['deployments', '--home', c.home])
    assert.match(text, /^crash\s+1\s+[01]\s+\d+\s+[0-9a-f]{12}\s+v\d{8}T\d{6}\.\d{3}Z\s+1 replicas$/m)
    assert.match(text, /^crash#0\s+12D3\S+\s+-\s+backoff\s+\d+\s+out of fuel/m)
    await ok(['undeploy', 'crash', '--home', a.home])
  })

  it('refuses bad input with one line and its exit code', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['deploy', 'x', IDLE, '--replicas', '-1'], 2, /^ww: replicas must be a whole number 0 or more, got "-1"\n$/],
      [['deploy', 'x', IDLE, '--replicas', '1001'], 1, /^ww: 1001 replicas is over the limit of 1000 per deployment \(maxReplicas\)\n$/],
      [['deploy', 'x', '/nonexistent.wasm'], 3, /^ww: cannot read \/nonexistent.wasm: ENOENT\n$/],
      [['deploy', 'b@d', IDLE], 2, /^ww: bad deployment name "b@d"/],
      [['deploy', 'x', IDLE, '--per-host', '--replicas', '2'], 2, /^ww: --per-host places one replica on every matching host: drop --replicas\n$/],
      [['scale', 'nope', '1'], 3, /^ww: no deployment "nope": 'ww deployments' lists them\n$/],
      [['undeploy', 'nope'], 3, /^ww: no deployment "nope"/]
    ]
    for (const [args, code, line] of cases) {
      const r = await wwAsync([...args, '--home', a.home])
      assert.equal(r.status, code, `ww ${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, line)
      assert.equal(r.stderr.split('\n').length, 2, r.stderr)
    }
  })

  it('keeps a deployment that no host matches as unplaceable, and places it when one joins', async () => {
    await ok(['deploy', 'gpu', IDLE, '--per-host', '--where', 'gpu=yes', '--home', b.home])
    await eventually(async () => (await deployments(a)).find(x => x.name === 'gpu')?.unplaceable === true, 60_000, 'unplaceable')
    assert.match(await ok(['deployments', '--home', a.home]), /^gpu .*per host, where gpu=yes, unplaceable: no live host matches$/m)
    const d = await join(['gpu=yes'], a.addrs[0])
    nodes.push(d)
    await converged([a, b, c, d])
    const m = await runsAs(a, 'gpu', m => total(m) === 1, 'one gpu replica')
    assert.deepEqual([...m.keys()], [d.peer])
    const e = await join(['gpu=yes'], b.addrs[0])
    nodes.push(e)
    await runsAs(c, 'gpu', m => total(m) === 2 && m.get(e.peer) === 1, 'a replica on the new gpu host too')
    await ok(['undeploy', 'gpu', '--home', c.home])
    await runsAs(a, 'gpu', m => total(m) === 0, 'none left')
    for (const x of [d, e]) { await x.stop(); nodes.splice(nodes.indexOf(x), 1); x.cleanup() }
    await converged([a, b, c])
  })

  it('gives every replica WW_DEPLOYMENT and WW_REPLICA besides the deployment\'s --env', async () => {
    await ok(['deploy', 'env', ENVIRON, '--replicas', '2', '--env', 'GREETING=hi', '--home', b.home])
    await runsAs(a, 'env', m => total(m) === 2, 'two env replicas')
    const d = (await deployments(a)).find(x => x.name === 'env')!
    for (const r of d.replicas) {
      await eventually(async () => {
        const log = await ok(['logs', `${r.host}/${r.pid}`, '--home', c.home])
        return log.includes('WW_DEPLOYMENT=env\n') && log.includes(`WW_REPLICA=${r.index}\n`) && log.includes('GREETING=hi\n')
      }, 60_000, `replica ${r.index}'s environment`)
    }
    await ok(['undeploy', 'env', '--home', a.home])
  })

  it('runs the replicas of a host killed with -9 on the others', async () => {
    await ok(['deploy', 'svc', IDLE, '--replicas', '6', '--home', a.home])
    const before = await runsAs(a, 'svc', m => total(m) === 6 && m.size === 3, '6 replicas on 3 hosts')
    assert.equal(before.get(c.peer), 2)
    const killedAt = Date.now()
    c.child.kill('SIGKILL')
    await c.stop()
    const after = await runsAs(a, 'svc', m => total(m) === 6 && !m.has(c.peer), '6 replicas on a and b')
    const tookMs = Date.now() - killedAt
    assert.deepEqual([...after.values()], [3, 3])
    console.log(`      (rescheduled in ${tookMs} ms after kill -9, TTL ${TTL_S} s)`)
    nodes.splice(nodes.indexOf(c), 1)
    c.cleanup()
    await ok(['undeploy', 'svc', '--home', b.home])
  })
})

describe('deployments survive every host restarting', function () {
  this.timeout(240_000)
  const nodes: CliNode[] = []
  after(() => { for (const n of nodes) n.cleanup() })

  it('runs the deployment again once all three hosts are back', async () => {
    const [a, b, c] = await cluster([[], [], []])
    nodes.push(a, b, c)
    await ok(['deploy', 'kept', IDLE, '--replicas', '4', '--home', b.home])
    await runsAs(a, 'kept', m => total(m) === 4, '4 replicas')
    for (const n of [a, b, c]) assert.equal(await n.stop(), 0)
    // the same homes (the same identities and kept records), new addresses
    const a2 = await CliNode.start(a.home, '--ttl', String(TTL_S))
    const [b2, c2] = await Promise.all([b, c].map(async n => await CliNode.start(n.home, '--ttl', String(TTL_S), '--bootstrap', a2.addrs[0])))
    nodes.length = 0
    nodes.push(a2, b2, c2)
    await converged(nodes)
    const m = await runsAs(c2, 'kept', m => total(m) === 4 && m.size === 3, '4 replicas on 3 hosts again')
    assert.deepEqual([...m.values()].sort(), [1, 1, 2])
  })
})

describe('deployments and the policy', function () {
  this.timeout(240_000)
  const nodes: CliNode[] = []
  after(() => { for (const n of nodes) n.cleanup() })

  it('lists through another host, but changes only through one\'s own node: a peer with exec too', async () => {
    const a = await CliNode.startWithPolicy(tempHome(), '--ttl', String(TTL_S), '--grant', 'members=read,write,exec')
    nodes.push(a)
    const b = await CliNode.startWithPolicy(tempHome(), '--ttl', String(TTL_S), '--grant', 'members=read,write,exec', '--bootstrap', a.addrs[0])
    nodes.push(b)
    await converged([a, b])
    await ok(['deploy', 'theirs', IDLE, '--replicas', '2', '--home', a.home])
    const viaB = await connect({ home: b.home })
    try {
      const peer = viaB.host.peer(p => { p.peer = a.peer })
      const remote = peer.pipeline.host.deployments()
      const listed = remote.pipeline.deployments.list()
      assert.ok([...(await listed).deployments].some(d => d.name === 'theirs'), 'a peer lists')
      listed.release()
      for (const change of [
        () => remote.pipeline.deployments.scale(p => { p.name = 'theirs'; p.replicas = 1 }),
        () => remote.pipeline.deployments.undeploy(p => { p.name = 'theirs' })
      ]) {
        const answer = change()
        await assert.rejects(async () => { await answer }, (err: Error) => err instanceof PermissionDenied && err.message.includes('deploy from your own node'))
        answer.release()
      }
      remote.release()
      peer.release()
    } finally { viaB.close() }
    const d = (await deployments(a)).find(x => x.name === 'theirs')!
    assert.equal(d.desired, 2)
    for (const n of [a, b]) assert.equal(await n.stop(), 0)
  })

  it('is kept and run only by hosts whose policy gives its author exec', async () => {
    // the default policy without a swarm key: members may only read
    const a = await CliNode.startWithPolicy(tempHome(), '--ttl', String(TTL_S))
    nodes.push(a)
    const b = await CliNode.startWithPolicy(tempHome(), '--ttl', String(TTL_S), '--bootstrap', a.addrs[0])
    nodes.push(b)
    await converged([a, b])
    await ok(['deploy', 'mine', IDLE, '--per-host', '--home', a.home])
    await runsAs(a, 'mine', m => total(m) === 1 && m.get(a.peer) === 1, 'a runs its own replica')
    // b neither keeps nor runs a record of a peer it lets only read; the replica placed there stays missing
    await new Promise(resolve => setTimeout(resolve, 3000))
    assert.equal((await deployments(b)).some(x => x.name === 'mine'), false)
    const d = (await deployments(a)).find(x => x.name === 'mine')!
    assert.equal(d.desired, 2)
    assert.equal(d.running, 1)
    assert.deepEqual(d.replicas.map(r => r.host), [a.peer])
  })
})
