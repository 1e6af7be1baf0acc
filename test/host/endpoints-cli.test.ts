// Named endpoints across real nodes: procs publish their channels, `ww endpoints` lists them from other hosts,
// `ww send --endpoint` and guests (C and AssemblyScript SDKs) reach them, and an endpoint ends with its proc or host.
import assert from 'node:assert/strict'
import { resolveHome } from '../../src/host/home.js'
import { Connection } from '../../src/rpc/index.js'
import { SenderClient } from '../../src/schema/channel.rpc.js'
import { Endpoint$Caps, Endpoints_Publish$Params$Caps, Endpoints_Publish$Results$Caps } from '../../src/schema/endpoints.rpc.js'
import { Host_Endpoints$Results$Caps, Host_Peer$Results$Caps, HostClient } from '../../src/schema/host.rpc.js'
import { connectUnix } from '../../src/transport/index.js'
import { CliNode, eventually, ok, tempHome, wwAsync, type CliResult } from './cli-node.js'
import { guest, withoutProgress } from './cli-procs.js'

/** The failure-detection bound of these nodes, in seconds. */
const TTL_S = 3
/** Generous for anything that travels by gossip on a loaded machine. */
const PATIENCE_MS = 30_000

interface EndpointJson { peer: string, pid: number, id: number, ageMs: number }
interface LeftOutJson { peer: string, reason: string }

describe('host: named endpoints across three nodes (ww endpoints, ww send --endpoint, the guest SDKs)', function () {
  this.timeout(300_000)
  let a: CliNode
  let b: CliNode
  let c: CliNode
  const extra: CliNode[] = []

  before(async () => {
    a = await CliNode.start(tempHome(), '--ttl', String(TTL_S))
    ;[b, c] = await Promise.all([b, c].map(async () => await CliNode.start(tempHome(), '--ttl', String(TTL_S), '--bootstrap', a.addrs[0])))
    for (const n of [a, b, c]) await eventually(async () => (await n.ls()).length === 3, PATIENCE_MS, 'three hosts')
  })

  after(() => {
    for (const n of [a, b, c, ...extra]) n?.cleanup()
  })

  /** `ww endpoints NAME --json` on `n`: the endpoints listed, the hosts left out, and how it ended. */
  const lookup = async (n: CliNode, name: string): Promise<{ endpoints: EndpointJson[], leftOut: LeftOutJson[], status: number | null, stderr: string }> => {
    const r = await wwAsync(['endpoints', name, '--json', '--home', n.home])
    assert.ok(r.stdout !== '', `ww endpoints ${name}: ${r.stderr}`)
    return { ...JSON.parse(r.stdout) as { endpoints: EndpointJson[], leftOut: LeftOutJson[] }, status: r.status, stderr: r.stderr }
  }
  /** The endpoints `n` lists for `name` (a host that cannot be asked, one being killed say, is left out). */
  const endpoints = async (n: CliNode, name: string): Promise<EndpointJson[]> => (await lookup(n, name)).endpoints
  const names = async (n: CliNode): Promise<Array<{ name: string, hosts: number }>> => JSON.parse(await ok(['endpoints', '--json', '--home', n.home]))
  /** Starts echo-service detached on `n`; its proc ID ("<peer>/<pid>") and pid. */
  const serve = async (n: CliNode, ...args: string[]): Promise<{ id: string, pid: number }> => {
    const id = (await ok(['run', '-d', guest('echo-service'), '--home', n.home, '--', ...args])).trim()
    return { id, pid: Number(id.split('/')[1]) }
  }
  const logs = async (n: CliNode, id: string): Promise<string> => await ok(['logs', id, '--home', n.home])
  const listed = async (from: CliNode, name: string, expect: Array<[CliNode, number]>): Promise<void> => {
    const want = expect.map(([n, pid]) => `${n.peer}/${pid}`).sort().join(' ')
    await eventually(async () => (await endpoints(from, name)).map(e => `${e.peer}/${e.pid}`).sort().join(' ') === want, PATIENCE_MS, `${from.peer} to list ${name} as [${want}]`)
  }
  const oneLine = (r: CliResult, code: number, line: RegExp): void => {
    assert.equal(r.status, code, r.stderr)
    const lines = withoutProgress(r.stderr).split('\n').filter(l => l !== '')
    assert.equal(lines.length, 1, r.stderr)
    assert.match(lines[0], line)
  }

  it('a proc publishes on A; B and C list it and send to it, from the CLI and from guests of both SDKs', async () => {
    const svc = await serve(a, 'svc')
    await listed(b, 'svc', [[a, svc.pid]])
    await listed(c, 'svc', [[a, svc.pid]])
    const [e] = await endpoints(b, 'svc')
    assert.equal(e.peer, a.peer)
    assert.ok(e.ageMs >= 0 && e.ageMs < 600_000, `age ${e.ageMs}`)
    assert.deepEqual((await names(c)).find(x => x.name === 'svc'), { name: 'svc', hosts: 1 })
    const table = await ok(['endpoints', 'svc', '--home', c.home])
    assert.match(table, new RegExp(`^PEER +PID +AGE\n${a.peer} +${svc.pid} +\\d+(ms|s)\n$`))

    await ok(['send', '--endpoint', 'svc', 'from-b', '--home', b.home])
    await ok(['send', '--endpoint', 'svc', '--home', c.home], 'from-c-1\nfrom-c-2\n')
    await eventually(async () => /from-b\n[^]*from-c-1\nfrom-c-2\n/.test(await logs(a, svc.id)), PATIENCE_MS, 'the messages in its log')

    const fromC = await ok(['run', guest('echo-client'), '--home', b.home, '--', 'svc', 'hi', '2'])
    assert.equal(withoutProgress(fromC), `svc: 1 live\n${a.peer}/${svc.pid} hi\n${a.peer}/${svc.pid} hi\n`)
    const fromAs = await ok(['run', guest('echo-client-as'), '--home', c.home, '--', 'svc', 'hey'])
    assert.equal(withoutProgress(fromAs), `svc: 1 live\n${a.peer}/${svc.pid} hey\n`)
  })

  it('round-robin over endpoints on two hosts alternates between them; random reaches both', async () => {
    const onA = await serve(a, 'rr')
    const onB = await serve(b, 'rr')
    await listed(c, 'rr', [[a, onA.pid], [b, onB.pid]])
    // a guest's sends: answers come from A and B in turn
    const out = withoutProgress(await ok(['run', guest('echo-client'), '--home', c.home, '--', 'rr', 'x', '6']))
    const who = out.split('\n').slice(1, -1).map(l => l.split(' ')[0])
    assert.equal(who.length, 6, out)
    for (let i = 0; i < 6; i++) assert.notEqual(who[i], who[(i + 1) % 6], `not alternating: ${who.join(' ')}`)
    assert.deepEqual([...new Set(who)].sort(), [`${a.peer}/${onA.pid}`, `${b.peer}/${onB.pid}`].sort())
    // separate commands share the node's turn: 4 sends, 2 each
    for (let i = 0; i < 4; i++) await ok(['send', '--endpoint', 'rr', `rr-${i}`, '--home', c.home])
    const count = async (n: CliNode, id: string, re: RegExp): Promise<number> => (await logs(n, id)).split('\n').filter(l => re.test(l)).length
    await eventually(async () => await count(a, onA.id, /^rr-/) + await count(b, onB.id, /^rr-/) === 4, PATIENCE_MS, 'four messages')
    assert.equal(await count(a, onA.id, /^rr-/), 2)
    assert.equal(await count(b, onB.id, /^rr-/), 2)
    // random: 40 lines; all to one side would be a 1 in 2^39 chance
    const lines = Array.from({ length: 40 }, (_, i) => `rnd-${i}`).join('\n') + '\n'
    await ok(['send', '--endpoint', 'rr', '--pick', 'random', '--home', c.home], lines)
    await eventually(async () => await count(a, onA.id, /^rnd-/) + await count(b, onB.id, /^rnd-/) === 40, PATIENCE_MS, 'forty messages')
    assert.ok(await count(a, onA.id, /^rnd-/) > 0 && await count(b, onB.id, /^rnd-/) > 0, 'random reached both hosts')
  })

  it('an endpoint ends with its proc: when the proc exits and when it is killed', async () => {
    const once = await serve(b, '-n', '1', 'once')
    await listed(a, 'once', [[b, once.pid]])
    await ok(['send', '--endpoint', 'once', 'bye', '--home', a.home])
    await listed(a, 'once', [])
    oneLine(await wwAsync(['send', '--endpoint', 'once', 'again', '--home', a.home]), 3, /^ww: no live endpoint named once: nothing in the cluster publishes it now$/)
    await eventually(async () => (await names(c)).every(x => x.name !== 'once'), PATIENCE_MS, 'the name to leave B\'s record')

    const doomed = await serve(b, 'killme')
    await listed(c, 'killme', [[b, doomed.pid]])
    await ok(['kill', doomed.id, '--home', b.home])
    await listed(c, 'killme', [])
    await eventually(async () => (await names(a)).every(x => x.name !== 'killme'), PATIENCE_MS, 'the name to leave B\'s record')
  })

  it('an API client publishes with the owner\'s Endpoints, for as long as it holds the publication; a peer cannot publish on another host', async () => {
    const conn = new Connection(await connectUnix(resolveHome(b.home).apiSocket), { name: 'test' })
    const host = conn.bootstrap(HostClient)
    const got: string[] = []
    const inbox = SenderClient.serve({ send (params) { got.push(new TextDecoder().decode(params.msg.data.toUint8Array())) } })
    try {
      // through B, A's Host as B's peer: publishing there is refused
      using remote = host.peer(p => { p.peer = a.peer })
      using remoteEndpoints = Host_Peer$Results$Caps.host.get(await remote).endpoints()
      using refused = Host_Endpoints$Results$Caps.endpoints.get(await remoteEndpoints).publish(p => {
        p.name = 'not-yours'
        Endpoints_Publish$Params$Caps.sender.set(p, inbox)
      })
      await assert.rejects(async () => await refused, (err: Error) => err.name === 'PermissionDenied' && /a host serves only its own endpoints/.test(err.message))

      using own = host.endpoints()
      const pub = Host_Endpoints$Results$Caps.endpoints.get(await own).publish(p => {
        p.name = 'api-inbox'
        Endpoints_Publish$Params$Caps.sender.set(p, inbox)
      })
      const publication = Endpoints_Publish$Results$Caps.publication.get(await pub).dup()
      pub.release()
      await listed(a, 'api-inbox', [[b, 0]])
      await ok(['send', '--endpoint', 'api-inbox', 'to-the-test', '--home', a.home])
      assert.deepEqual(got, ['to-the-test'])
      // a sender handed out by a list stops working when its endpoint ends
      using list = Host_Endpoints$Results$Caps.endpoints.get(await own).list(p => { p.name = 'api-inbox'; p.here = false })
      const held = Endpoint$Caps.sender.get((await list).endpoints.get(0)).dup()
      try {
        using before = held.send(p => { p._initMsg()._initData(2).copyBuffer(new Uint8Array([104, 105])) })
        await before
        assert.deepEqual(got, ['to-the-test', 'hi'])
        publication.release()
        await listed(a, 'api-inbox', [])
        using after = held.send(p => { p._initMsg()._initData(2).copyBuffer(new Uint8Array([104, 105])) })
        await assert.rejects(async () => await after, (err: Error) => err.name === 'Closed' && /endpoint api-inbox \(an API client's\) ended/.test(err.message))
      } finally { held.release() }
      assert.equal((await endpoints(a, 'not-yours')).length, 0)
    } finally {
      inbox.release()
      host.release()
      conn.close('done')
    }
  })

  it('bad names and too many names are one-line errors with their exit codes, from the CLI and from guests', async () => {
    oneLine(await wwAsync(['endpoints', 'bad name', '--home', a.home]), 2, /^ww: bad endpoint name "bad name": use letters, digits, '\.', '_' and '-'$/)
    oneLine(await wwAsync(['send', '--endpoint', 'x'.repeat(65), 'm', '--home', a.home]), 2, /^ww: endpoint name "x{16}\.\.\." is 65 bytes, over 64 \(maxEndpointNameBytes\)$/)
    oneLine(await wwAsync(['send', '--endpoint', 'nobody', 'm', '--home', a.home]), 3, /^ww: no live endpoint named nobody: /)
    oneLine(await wwAsync(['send', '--endpoint', 'nobody', 'path', 'm', '--home', a.home]), 2, /^ww: with --endpoint, give only MESSAGE, no PATH$/)
    // guests see typed errors: a bad name, no endpoint, past maxEndpointNames
    const bad = await wwAsync(['run', guest('echo-service'), '--home', a.home, '--', 'a/b'])
    assert.equal(bad.status, 1, bad.stderr)
    assert.match(withoutProgress(bad.stderr), /^echo-service: cannot publish a\/b: InvalidArgument: bad endpoint name "a\/b"/)
    const none = await wwAsync(['run', guest('echo-client'), '--home', a.home, '--', 'nobody', 'm'])
    assert.equal(none.status, 3, none.stderr)
    assert.match(withoutProgress(none.stderr), /^echo-client: send: NotFound: no live endpoint named nobody/)
    const many = Array.from({ length: 65 }, (_, i) => `n${i}`)
    const over = await wwAsync(['run', guest('echo-service'), '--home', c.home, '--', ...many])
    assert.equal(over.status, 1, over.stderr)
    assert.match(withoutProgress(over.stderr), /^echo-service: cannot publish n64: LimitExceeded: this host already serves 64 endpoint names \(maxEndpointNames\); unpublish one first\n$/)
    assert.equal((over.stdout.match(/^serving n\d+$/gm) ?? []).length, 64)
    // the proc ended: its 64 names went with it
    await eventually(async () => (await names(a)).every(x => !/^n\d+$/.test(x.name)), PATIENCE_MS, 'the names to go')
  })

  it('a host whose policy gives a peer no write right refuses it its endpoints: a send fails PermissionDenied (exit 4)', async () => {
    const e = await CliNode.startWithPolicy(tempHome(), '--ttl', String(TTL_S), '--bootstrap', a.addrs[0]) // members may only read
    extra.push(e)
    await eventually(async () => (await c.ls()).includes(e.peer), PATIENCE_MS, 'c to list e')
    const guarded = await serve(e, 'guarded')
    await eventually(async () => (await names(c)).some(x => x.name === 'guarded' && x.hosts === 1), PATIENCE_MS, 'c to see the name')
    oneLine(await wwAsync(['send', '--endpoint', 'guarded', 'm', '--home', c.home]), 4,
      new RegExp(`^ww: no endpoint named guarded this host may reach: peer ${c.peer} lacks 'write' on this host \\(listing and sending to endpoints\\)`))
    const client = await wwAsync(['run', guest('echo-client'), '--home', c.home, '--', 'guarded', 'm'])
    assert.equal(client.status, 4, client.stderr)
    // a host that refuses is left out of a list, which says so: one line on stderr, exit 4; --json names it in leftOut
    const refusedLine = new RegExp(`^ww: skipped host ${e.peer}: peer ${c.peer} lacks 'write' on this host`)
    oneLine(await wwAsync(['endpoints', 'guarded', '--home', c.home]), 4, refusedLine)
    const json = await lookup(c, 'guarded')
    assert.equal(json.status, 4, json.stderr)
    assert.deepEqual(json.endpoints, [])
    assert.deepEqual(json.leftOut.map(l => l.peer), [e.peer])
    assert.match(json.leftOut[0].reason, new RegExp(`^PermissionDenied: peer ${c.peer} lacks 'write' on this host`))
    assert.match(json.stderr, refusedLine)
    // its owner reaches it
    await ok(['send', '--endpoint', 'guarded', 'mine', '--home', e.home])
    await eventually(async () => /^mine$/m.test(await logs(e, guarded.id)), PATIENCE_MS, 'the owner\'s message')
  })

  it('a host that does not answer a list in time (frozen) is left out after endpointListTimeoutMs: the rest listed, one line, exit 69', async () => {
    // two nodes of their own with a long TTL, so the frozen one stays listed (SWIM would drop it within a short TTL)
    const h = await CliNode.start(tempHome(), '--ttl', '60')
    const f = await CliNode.start(tempHome(), '--ttl', '60', '--bootstrap', h.addrs[0])
    extra.push(h, f)
    await eventually(async () => (await h.ls()).length === 2, PATIENCE_MS, 'h to list f')
    const onF = await serve(f, 'frozen')
    const onH = await serve(h, 'frozen')
    await listed(h, 'frozen', [[h, onH.pid], [f, onF.pid]])
    f.child.kill('SIGSTOP')
    try {
      const [text, json] = await Promise.all([wwAsync(['endpoints', 'frozen', '--home', h.home]), lookup(h, 'frozen')])
      const noAnswer = new RegExp(`^ww: skipped host ${f.peer}: host ${f.peer} did not answer within 5000 ms$`, 'm')
      assert.equal(text.status, 69, text.stderr)
      assert.match(text.stdout, new RegExp(`^PEER +PID +AGE\n${h.peer} +${onH.pid} +\\d+(ms|s)\n$`))
      assert.match(text.stderr, noAnswer)
      assert.equal(json.status, 69, json.stderr)
      assert.deepEqual(json.endpoints.map(e => `${e.peer}/${e.pid}`), [`${h.peer}/${onH.pid}`])
      assert.deepEqual(json.leftOut, [{ peer: f.peer, reason: `Unavailable: host ${f.peer} did not answer within 5000 ms` }])
    } finally {
      f.child.kill('SIGCONT')
    }
    await Promise.all([h.stop(), f.stop()])
  })

  it('a host whose record cannot hold all its names advertises those that fit and warns naming the others', async () => {
    // 16 meta tags of 250 bytes and 64 names of 64 bytes do not fit in maxHeartbeatBytes (8 KiB) together
    const meta = Array.from({ length: 16 }, (_, i) => ['--meta', `k${String(i).padStart(2, '0')}=${'v'.repeat(245)}`]).flat()
    const g = await CliNode.start(tempHome(), '--ttl', String(TTL_S), '--bootstrap', a.addrs[0], ...meta)
    extra.push(g)
    await eventually(async () => (await a.ls()).includes(g.peer), PATIENCE_MS, 'a to list g')
    const many = Array.from({ length: 64 }, (_, i) => `full${String(i).padStart(2, '0')}`.padEnd(64, 'x'))
    const svc = await serve(g, ...many)
    // each name published signs the record anew: the last warning names what is left out once all 64 are
    const warning = /^ww: this host's record is full \(maxHeartbeatBytes, 8 KiB\): it leaves out endpoint names (\S+(?:, \S+)*), which other hosts then do not find here; unpublish some names, or use shorter ones or less --meta$/gm
    const lastLeftOut = (): string[] => [...g.stderr.matchAll(warning)].at(-1)?.[1].split(', ') ?? []
    await eventually(async () => (await logs(g, svc.id)).split('\n').filter(l => l.startsWith('serving ')).length === 64, PATIENCE_MS, 'all 64 published')
    await eventually(() => lastLeftOut().at(-1) === many.at(-1), PATIENCE_MS, 'the warning on g\'s stderr')
    const leftOut = lastLeftOut()
    const fit = many.slice(0, many.length - leftOut.length)
    assert.ok(leftOut.length > 0 && fit.length > 0, `${fit.length} names fit, ${leftOut.length} left out`)
    assert.deepEqual(leftOut, many.slice(fit.length), 'the names last in order are left out')
    // the others find the names that fit, and only those; g itself finds all of them
    await eventually(async () => (await names(a)).filter(x => x.name.startsWith('full')).map(x => x.name).join() === fit.join(), PATIENCE_MS, 'a to see the names that fit')
    assert.deepEqual((await endpoints(g, leftOut[0])).map(e => e.pid), [svc.pid])
    assert.deepEqual(await endpoints(a, leftOut[0]), [])
    // once the names go, everything fits again, and g says so
    await ok(['kill', svc.id, '--home', g.home])
    await eventually(() => /^ww: this host's record holds all its endpoint names and topics again$/m.test(g.stderr), PATIENCE_MS, 'the all-clear on g\'s stderr')
  })

  it('an endpoint disappears with its host: killed -9, it is gone within the TTL, and sends go to the live ones', async () => {
    const d = await CliNode.start(tempHome(), '--ttl', String(TTL_S), '--bootstrap', a.addrs[0])
    extra.push(d)
    await eventually(async () => (await a.ls()).includes(d.peer), PATIENCE_MS, 'a to list d')
    const onD = await serve(d, 'spread')
    const onA = await serve(a, 'spread')
    await listed(c, 'spread', [[a, onA.pid], [d, onD.pid]])
    await eventually(async () => (await names(c)).some(x => x.name === 'spread' && x.hosts === 2), PATIENCE_MS, 'two hosts serving spread')
    const killed = Date.now()
    await d.stop('SIGKILL')
    await listed(c, 'spread', [[a, onA.pid]])
    const listGoneMs = Date.now() - killed
    await eventually(async () => (await names(c)).some(x => x.name === 'spread' && x.hosts === 1), PATIENCE_MS, 'one host serving spread')
    const nameGoneMs = Date.now() - killed
    console.log(`      killed host's endpoint left the list after ${listGoneMs} ms, its record after ${nameGoneMs} ms (TTL ${TTL_S} s)`)
    for (let i = 0; i < 4; i++) await ok(['send', '--endpoint', 'spread', `after-${i}`, '--home', c.home])
    await eventually(async () => ((await logs(a, onA.id)).match(/^after-\d$/gm) ?? []).length === 4, PATIENCE_MS, 'all four on A')
  })
})
