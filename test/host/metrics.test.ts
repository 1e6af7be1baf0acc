import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { connect, PermissionDenied } from 'ww'
import { CliNode, eventually, ok, tempHome, ww, wwAsync } from './cli-node.js'

/** Prometheus text as "name{labels}" -> value (comment lines skipped). */
function parseText (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

async function scrape (url: string): Promise<Map<string, number>> {
  const res = await fetch(url)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return parseText(await res.text())
}

const guest = (name: string): string => fileURLToPath(new URL(`../../../guest/build/${name}.wasm`, import.meta.url))

const sum = (m: Map<string, number>, prefix: string): number =>
  [...m].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0)

describe('metrics: ww start --metrics and Host.metrics', function () {
  this.timeout(180_000)
  let a: CliNode
  let b: CliNode
  let url: string

  before(async () => {
    a = await CliNode.start(tempHome(), '--metrics', '127.0.0.1:0')
    b = await CliNode.start(tempHome(), '--bootstrap', a.addrs[0])
    await eventually(async () => (await b.ls()).length === 2 && (await a.ls()).length === 2, 60_000, 'both hosts')
    url = /^metrics (\S+)$/m.exec(a.stdout)?.[1] ?? ''
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  })

  after(async () => {
    for (const n of [b, a]) {
      await n?.stop()
      n?.cleanup()
    }
  })

  it('counts the RPC calls, errors, connections and channel messages of real traffic between two nodes', async () => {
    const before = await scrape(url)
    await ok(['mkchan', `/${a.peer}/mailbox`, '--cap', '16', '--home', a.home])
    await ok(['send', `/${a.peer}/mailbox`, '--home', b.home], 'one\ntwo\nthree\n')
    assert.equal(await ok(['recv', `/${a.peer}/mailbox`, '--count', '3', '--home', a.home]), 'one\ntwo\nthree\n')
    const missing = await wwAsync(['load', `/${a.peer}/nothing/here`, '--home', b.home])
    assert.equal(missing.status, 3, missing.stderr)
    const after = await scrape(url)
    const delta = (k: string): number => (after.get(k) ?? 0) - (before.get(k) ?? 0)

    // b's sends reach a's channel over libp2p: three calls of Sender.send served by a, three messages in and out
    assert.ok(delta('ww_rpc_calls_total{method="Sender.send"}') >= 3, `Sender.send calls: ${delta('ww_rpc_calls_total{method="Sender.send"}')}`)
    assert.equal(delta('ww_chan_messages_sent_total'), 3)
    assert.equal(delta('ww_chan_messages_received_total'), 3)
    assert.equal(after.get('ww_chan_buffered_bytes'), 0)
    // the load of a path that does not exist failed on a, in the call b's node made to it
    assert.ok(sum(after, 'ww_rpc_errors_total') - sum(before, 'ww_rpc_errors_total') >= 1, 'a failed call counted')
    // ww mkchan and ww recv were clients of a's API socket; b reached a over libp2p
    assert.ok(delta('ww_rpc_connections_total{kind="api"}') >= 2)
    assert.ok((after.get('ww_rpc_connections_total{kind="libp2p"}') ?? 0) >= 1)
    assert.ok((after.get('ww_peer_connections') ?? 0) >= 1)
    assert.equal(after.get('ww_membership_hosts'), 2)
    assert.equal(after.get('ww_procs{state="running"}'), 0)
  })

  it('counts procs by state: running now, ended by reason', async () => {
    const before = await scrape(url)
    const hello = await wwAsync(['run', guest('hello'), '--home', a.home])
    assert.equal(hello.status, 7, hello.stderr) // hello exits 7
    const id = (await ok(['run', '-d', guest('echo'), '--home', a.home, '--', '/peer/echo'])).trim()
    await eventually(async () => (await scrape(url)).get('ww_procs{state="running"}') === 1, 60_000, 'echo running')
    await ok(['kill', id, '--home', a.home])
    await eventually(async () => (await scrape(url)).get('ww_procs{state="running"}') === 0, 60_000, 'echo killed')
    const after = await scrape(url)
    const delta = (k: string): number => (after.get(k) ?? 0) - (before.get(k) ?? 0)
    assert.equal(delta('ww_procs_ended_total{reason="exited"}'), 1)
    assert.equal(delta('ww_procs_ended_total{reason="killed"}'), 1)
    assert.ok(delta('ww_rpc_calls_total{method="Executor.spawn"}') >= 2)
  })

  it('counts membership probes and messages as SWIM runs', async () => {
    await eventually(async () => {
      const m = await scrape(url)
      return (m.get('ww_membership_probes_total{outcome="all"}') ?? 0) > 0 &&
        (m.get('ww_membership_probes_total{outcome="acked"}') ?? 0) > 0 &&
        (m.get('ww_membership_messages_total{direction="sent",kind="all"}') ?? 0) > 0 &&
        (m.get('ww_membership_messages_total{direction="received",kind="all"}') ?? 0) > 0 &&
        (m.get('ww_membership_syncs_total') ?? 0) > 0
    }, 60_000, 'probes, messages and a table sync counted')
  })

  it('Host.metrics returns the values /metrics serves', async () => {
    const client = await connect({ home: a.home })
    try {
      const text = await scrape(url)
      const answer = client.host.metrics()
      const snapshot = (await answer).snapshot
      assert.ok(Math.abs(Number(snapshot.atMs) - Date.now()) < 60_000)
      const structured = new Map<string, { value: number, kind: number }>()
      for (const s of snapshot.samples) {
        const labels = [...s.labels].map(l => `${l.name}="${l.value}"`).join(',')
        structured.set(labels === '' ? s.name : `${s.name}{${labels}}`, { value: s.value, kind: s.kind })
      }
      answer.release()
      // the same samples; those no call between the two reads moves have the same values
      assert.deepEqual([...structured.keys()].filter(k => !k.startsWith('ww_rpc_calls_total{method="Host.metrics"}')).sort(),
        [...text.keys()].filter(k => !k.startsWith('ww_rpc_calls_total{method="Host.metrics"}')).sort())
      for (const k of ['ww_chan_messages_sent_total', 'ww_chan_messages_received_total', 'ww_rpc_calls_total{method="Sender.send"}',
        'ww_membership_hosts', 'ww_rpc_connections_total{kind="libp2p"}']) {
        assert.equal(structured.get(k)?.value, text.get(k), k)
      }
      assert.equal(structured.get('ww_chan_messages_sent_total')?.kind, 0) // counter
      assert.equal(structured.get('ww_membership_hosts')?.kind, 1) // gauge
      // b reads a's counters too, through the cluster (a remote peer with 'read')
      const viaB = await connect({ home: b.home })
      try {
        const peer = viaB.host.peer(p => { p.peer = a.peer })
        const remote = peer.pipeline.host.metrics()
        const hosts = [...(await remote).snapshot.samples].find(s => s.name === 'ww_membership_hosts')
        assert.equal(hosts?.value, 2)
        remote.release()
        peer.release()
      } finally { viaB.close() }
    } finally { client.close() }
  })

  it('Host.metrics needs read: a host that grants a peer nothing refuses it', async () => {
    const c = await CliNode.startWithPolicy(tempHome(), '--grant', 'members=none', '--bootstrap', a.addrs[0])
    const client = await connect({ home: a.home })
    try {
      await eventually(async () => (await a.ls()).includes(c.peer), 60_000, 'c joined')
      const peer = client.host.peer(p => { p.peer = c.peer })
      const remote = peer.pipeline.host.metrics()
      await assert.rejects(async () => { await remote }, (err: Error) => err instanceof PermissionDenied && err.message.includes(`lacks 'read'`))
      remote.release()
      peer.release()
    } finally {
      client.close()
      await c.stop()
      c.cleanup()
    }
  })

  it('ww help start tells of --metrics and that it has no token', () => {
    const help = ww('help', 'start').stdout
    assert.match(help, /--metrics <addr>/)
    assert.match(help, /without a token/)
  })

  it('serves only /metrics, and refuses other methods', async () => {
    const other = await fetch(url.replace(/\/metrics$/, '/other'))
    assert.equal(other.status, 404)
    const post = await fetch(url, { method: 'POST' })
    assert.equal(post.status, 405)
  })

  it('ww start --detach --metrics prints the metrics URL with the peer and listen lines', async () => {
    const home = tempHome()
    try {
      const out = await ok(['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--metrics', '127.0.0.1:0', '--detach'])
      const detachedUrl = /^metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m.exec(out)?.[1]
      assert.ok(detachedUrl !== undefined, out)
      assert.equal((await scrape(detachedUrl)).get('ww_membership_hosts'), 1)
    } finally {
      await wwAsync(['stop', '--home', home])
      rmSync(home, { recursive: true, force: true })
    }
  })

  it('ww start --metrics with a malformed address: one line, exit 2', async () => {
    const r = await wwAsync(['start', '--home', tempHome(), '--no-mdns', '--metrics', 'nowhere:port'])
    assert.equal(r.status, 2)
    assert.equal(r.stderr, 'ww: --metrics takes HOST:PORT (e.g. 127.0.0.1:9464, or :PORT for 127.0.0.1), got "nowhere:port"\n')
  })

  it('ww start --metrics on an address in use: one line, exit 69, and the node does not stay up', async () => {
    const port = new URL(url).port
    const home = tempHome()
    const r = await wwAsync(['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--metrics', `127.0.0.1:${port}`])
    assert.equal(r.status, 69, r.stderr)
    assert.equal(r.stderr, `ww: cannot serve metrics on 127.0.0.1:${port} (EADDRINUSE): choose another --metrics address\n`)
    const id = await wwAsync(['id', '--home', home])
    assert.equal(id.status, 69) // no node runs there
  })
})
