// The web console in a real browser: two `ww start` nodes, the console of the first, and what a user does there.
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import WebSocket from 'ws'
import { CliNode, eventually, ok, tempHome, wwAsync } from '../host/cli-node.js'
import { guest } from '../host/cli-procs.js'
import type { DeploymentJson } from '../../cmd/deployments.js'
import { assertNoErrors, launchBrowser, openPage, type WatchedPage } from './browser.js'

const screenshotFile = fileURLToPath(new URL('../../../docs/console.png', import.meta.url))
const bundleFile = fileURLToPath(new URL('../../console/console.js', import.meta.url))

/** How a raw WebSocket upgrade ends: the HTTP status of a refusal, or 101 when it opens. */
async function upgradeStatus (url: string, protocols: string[], origin: string): Promise<{ status: number, body: string }> {
  return await new Promise(resolve => {
    const ws = new WebSocket(url, protocols, { origin })
    ws.on('open', () => { ws.close(); resolve({ status: 101, body: '' }) })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', d => { body += String(d) })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    ws.on('error', () => {})
  })
}

describe('web console (chromium)', function () {
  this.timeout(240_000)
  let a: CliNode
  let b: CliNode
  let browser: Browser
  let url: string
  let w: WatchedPage

  before(async function () {
    // A long failure-detection bound on a: the rates test stops a host (SIGSTOP) and needs it kept listed, unanswering.
    a = await CliNode.start(tempHome(), '--ui', '--meta', 'zone=lab', '--ttl', '60')
    b = await CliNode.start(tempHome(), '--bootstrap', a.addrs[0], '--meta', 'zone=edge')
    await eventually(async () => (await a.ls()).length === 2 && (await b.ls()).length === 2, 60_000, 'both hosts')
    url = (await ok(['ui', '--home', a.home])).trim()
    browser = await launchBrowser()
    w = await openPage(browser, url)
    await w.page.waitForSelector('body[data-state=ready]')
    // The page marks when it shows the cluster (ui/main.ts); printed, not asserted: a loaded machine is slower.
    const [readyMs, parsedMs] = await w.page.evaluate(() => [performance.getEntriesByName('ww:ready')[0].startTime,
      (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd])
    console.log(`      console: page and script loaded ${Math.round(parsedMs)} ms, cluster shown ${Math.round(readyMs)} ms after navigation; bundle ${statSync(bundleFile).size} bytes`)
  })

  afterEach(function () { assertNoErrors(w) })

  after(async function () {
    await browser?.close()
    for (const n of [a, b]) n?.cleanup()
  })

  it('prints its URL on stderr and in <home>/ui.url, mode 0600, with a token in the fragment', async function () {
    assert.match(a.stderr, /^ui: http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/m)
    assert.ok(a.stderr.includes(`ui: ${url}\n`))
    assert.equal(statSync(`${a.home}/ui.url`).mode & 0o777, 0o600)
  })

  it('shows both hosts, in the picture and in the table, with their meta', async function () {
    for (const n of [a, b]) {
      await w.page.waitForSelector(`#graph g.host[data-peer="${n.peer}"]:not(.gone)`)
      await w.page.waitForSelector(`#hosts-body tr.live[data-peer="${n.peer}"]`)
    }
    assert.match(await w.page.textContent(`#hosts-body tr[data-peer="${b.peer}"]`) ?? '', /zone=edge/)
    assert.match(await w.page.textContent('#host-count') ?? '', /^2 live/)
  })

  it('shows a proc started with ww run -d on the other host, and kills it from the page', async function () {
    const id = (await ok(['run', '-d', guest('idle'), '--on', b.peer, '--home', a.home])).trim()
    const row = `.proc[data-id="${id}"]`
    await w.page.waitForSelector(`${row}.running`)
    assert.match(await w.page.textContent(`${row} .c-limits`) ?? '', /mem 64\.0 MiB/)
    await w.page.click(`${row} button.kill`)
    await w.page.waitForSelector(`${row}.ended`)
    assert.equal(await w.page.textContent(`${row} .c-state`), 'killed')
    const pid = Number(id.split('/')[1])
    const ps = JSON.parse(await ok(['ps', '--json', '--home', b.home])) as Array<{ pid: number, state: string, status?: { reason: string } }>
    const p = ps.find(x => x.pid === pid)
    assert.equal(p?.state, 'exited')
    assert.equal(p?.status?.reason, 'killed')
  })

  it('shows an anchor stored from the CLI, its bytes as text and hex (never as HTML), and a channel\'s fill', async function () {
    await ok(['store', `/${a.peer}/console/note`, '--bytes', '<img src=x onerror="document.title=1">hi', '--home', a.home])
    await ok(['mkchan', `/${a.peer}/console/inbox`, '--cap', '4', '--home', a.home])
    await ok(['send', `/${a.peer}/console/inbox`, 'hello', '--home', a.home])
    await w.page.click('#anchor-list .anchor[data-name="console"] .anchor-name', { timeout: 60_000 })
    await w.page.click('#anchor-list .anchor[data-name="note"] .anchor-name')
    await w.page.waitForSelector('#anchor-value pre.hex')
    const dump = await w.page.textContent('#anchor-value pre.hex') ?? ''
    assert.match(dump, /3c 69 6d 67/) // "<img" as hex
    assert.equal(await w.page.textContent('#anchor-value pre.text'), '<img src=x onerror="document.title=1">hi')
    assert.equal(await w.page.locator('#anchor-value img').count(), 0)
    assert.notEqual(await w.page.title(), '1')
    await w.page.click('#anchor-list .anchor[data-name="inbox"] .anchor-name')
    await w.page.waitForFunction(() => /1 of 4 buffered/.test(document.querySelector('#anchor-value')?.textContent ?? ''))
  })

  it('browses the anchor tree of the other host', async function () {
    await ok(['store', `/${b.peer}/remote/thing`, '--bytes', 'from b', '--home', b.home])
    await w.page.selectOption('#anchor-host', b.peer)
    await w.page.click('#anchor-list .anchor[data-name="remote"] .anchor-name')
    await w.page.click('#anchor-list .anchor[data-name="thing"] .anchor-name')
    await w.page.waitForFunction(() => document.querySelector('#anchor-value pre.text')?.textContent === 'from b')
  })

  it('shows a deployment made with ww deploy: desired and running replicas, where each runs; gone once undeployed', async function () {
    await ok(['deploy', 'console-web', guest('idle'), '--replicas', '3', '--home', a.home])
    const row = '#deployments-body tr.deployment[data-name="console-web"]'
    await w.page.waitForFunction(sel => document.querySelector(`${sel} .c-running`)?.textContent === '3', row, { timeout: 90_000 })
    assert.equal(await w.page.textContent(`${row} .c-desired`), '3')
    assert.match(await w.page.textContent('#deploy-count') ?? '', /^1 deployment, 3 of 3 replicas running$/)
    const shown = await w.page.$$eval('#deployments-body tr.replica[data-name="console-web"]', rows => rows.map(r =>
      `${r.getAttribute('data-index') ?? ''} ${r.getAttribute('data-host') ?? ''} ${r.querySelector('.c-state')?.textContent ?? ''}`))
    // Where each replica runs, and its pid, as ww deployments reports them.
    const cli = (JSON.parse(await ok(['deployments', '--json', '--home', a.home])) as DeploymentJson[]).find(d => d.name === 'console-web')
    assert.ok(cli !== undefined)
    assert.deepEqual(shown.sort(), cli.replicas.map(r => `${r.index} ${r.host} running (pid ${r.pid})`).sort())
    assert.ok(cli.replicas.every(r => r.host === a.peer || r.host === b.peer))
    // Past shownReplicas (20) rows, the rest are counted in one row.
    await ok(['scale', 'console-web', '24', '--home', a.home])
    await w.page.waitForFunction(sel => document.querySelector(`${sel} .c-running`)?.textContent === '24', row, { timeout: 90_000 })
    assert.equal(await w.page.locator('#deployments-body tr.replica:not(.more)[data-name="console-web"]').count(), 20)
    assert.equal(await w.page.textContent('#deployments-body tr.replica.more[data-name="console-web"]'), 'and 4 more replicas, all running (ww deployments lists them all)')
    await ok(['undeploy', 'console-web', '--home', a.home])
    await w.page.waitForSelector(row, { state: 'detached', timeout: 60_000 })
    await w.page.waitForSelector('#deployments-body tr.replica', { state: 'detached', timeout: 60_000 })
  })

  it('shows message and call rates per host (both answer), which move with ww send traffic; calls by method', async function () {
    const cell = (peer: string, c: string): string => `#rates-body tr.measured[data-peer="${peer}"] .${c}`
    for (const n of [a, b]) await w.page.waitForSelector(cell(n.peer, 'c-calls'), { timeout: 60_000 })
    const path = `/${a.peer}/console/rates`
    await ok(['mkchan', path, '--cap', '1000', '--home', a.home])
    // Quiet first: an interval with no channel traffic on a reads 0.
    await w.page.waitForFunction(sel => document.querySelector(sel)?.textContent === '0.0', cell(a.peer, 'c-in'), { timeout: 60_000 })
    // Then traffic, kept up until the page shows it: messages into a's channels, and Sender.send among a's calls.
    let sending = true
    let sent = 0
    const traffic = (async () => {
      while (sending && sent < 500) { await ok(['send', path, `m${sent}`, '--home', a.home]); sent++ }
    })()
    try {
      await w.page.waitForFunction(sel => Number(document.querySelector(sel)?.textContent) > 0, cell(a.peer, 'c-in'), { timeout: 90_000 })
      await w.page.waitForSelector('#rates-methods tr[data-method="Sender.send"]', { timeout: 90_000 })
    } finally {
      sending = false
      await traffic
    }
    assert.equal(await w.page.inputValue('#rates-host'), a.peer)
    assert.ok(Number(await w.page.textContent('#rates-methods tr[data-method="Sender.send"] .c-calls')) > 0)
    // b's rates are b's own: its row is measured, and choosing it lists b's methods (Host.metrics, the page asking).
    await w.page.selectOption('#rates-host', b.peer)
    await w.page.waitForSelector('#rates-methods tr[data-method="Host.metrics"]', { timeout: 60_000 })
    await w.page.selectOption('#rates-host', a.peer)
    console.log(`      rates: ${sent} ww send runs before the page showed them`)
  })

  it('shows an endpoint name published by a guest, with the hosts serving it, until they stop', async function () {
    const onB = (await ok(['run', '-d', guest('echo-service'), '--on', b.peer, '--home', a.home, '--', 'console-svc'])).trim()
    const hostsOf = '#endpoints-body tr[data-name="console-svc"] .c-hosts'
    await w.page.waitForFunction(sel => document.querySelector(sel)?.textContent === '1', hostsOf, { timeout: 60_000 })
    const onA = (await ok(['run', '-d', guest('echo-service'), '--home', a.home, '--', 'console-svc'])).trim()
    await w.page.waitForFunction(sel => document.querySelector(sel)?.textContent === '2', hostsOf, { timeout: 60_000 })
    for (const id of [onA, onB]) await ok(['kill', id, '--home', a.home])
    await w.page.waitForSelector('#endpoints-body tr[data-name="console-svc"]', { state: 'detached', timeout: 60_000 })
  })

  it('refuses a wrong token and a foreign Origin at the upgrade, before any RPC', async function () {
    const base = url.replace(/#.*$/, '')
    const token = url.replace(/^.*#token=/, '')
    const rpc = base.replace(/^http/, 'ws') + 'rpc'
    const own = base.replace(/\/$/, '')
    assert.equal((await upgradeStatus(rpc, ['ww-capnp', `ww-token.${token}`], own)).status, 101)
    const wrong = await upgradeStatus(rpc, ['ww-capnp', `ww-token.${'0'.repeat(64)}`], own)
    assert.equal(wrong.status, 403)
    assert.match(wrong.body, /wrong token/)
    assert.equal((await upgradeStatus(rpc, ['ww-capnp'], own)).status, 403)
    const foreign = await upgradeStatus(rpc, ['ww-capnp', `ww-token.${token}`], 'http://evil.example')
    assert.equal(foreign.status, 403)
    assert.match(foreign.body, /Origin/)

    // The page opened with a wrong token says so, and gets nothing.
    const refused = await openPage(browser, `${base}#token=${'ab'.repeat(32)}`)
    await refused.page.waitForSelector('body[data-state=refused]')
    assert.match(await refused.page.textContent('#status') ?? '', /refused/)
    assertNoErrors(refused, /WebSocket connection to .* failed/)
    await refused.page.close()

    // A page of another site the user visits, holding even the right token, cannot open the WebSocket.
    const site: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' })
      res.end(`<script>const ws = new WebSocket(${JSON.stringify(rpc)}, ['ww-capnp', 'ww-token.${token}']);
        ws.onopen = () => { document.title = 'opened' }; ws.onerror = () => { document.title = 'refused' }</script>`)
    })
    await new Promise<void>(resolve => site.listen(0, '127.0.0.1', resolve))
    const port = (site.address() as { port: number }).port
    const evil = await openPage(browser, `http://localhost:${port}/`)
    await evil.page.waitForFunction(() => document.title !== '')
    assert.equal(await evil.page.title(), 'refused')
    await evil.page.close()
    site.close()

    // A name that is not an IP address or localhost (DNS rebinding) gets nothing, not even the page.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(base, { headers: { Host: 'rebound.example' } }, res => { res.resume(); resolve(res.statusCode ?? 0) })
      req.on('error', reject)
      req.end()
    })
    assert.equal(status, 403)
  })

  it('writes a screenshot to docs/console.png when WW_UI_SCREENSHOT=1', async function () {
    if (process.env.WW_UI_SCREENSHOT !== '1') this.skip()
    for (let i = 0; i < 3; i++) await ok(['run', '-d', guest('idle'), '--on', i === 0 ? a.peer : b.peer, '--home', a.home])
    await ok(['deploy', 'demo', guest('idle'), '--replicas', '4', '--spread', 'zone', '--home', a.home])
    await ok(['run', '-d', guest('echo-service'), '--home', a.home, '--', 'demo-svc'])
    await w.page.selectOption('#anchor-host', a.peer)
    await w.page.click('#anchor-list .anchor[data-name="console"] .anchor-name')
    await w.page.click('#anchor-list .anchor[data-name="inbox"] .anchor-name')
    await w.page.waitForFunction(() => document.querySelectorAll('.proc.running').length >= 3)
    await w.page.waitForFunction(() => document.querySelector('#deployments-body tr.deployment[data-name="demo"] .c-running')?.textContent === '4', undefined, { timeout: 90_000 })
    await w.page.waitForSelector('#endpoints-body tr[data-name="demo-svc"]', { timeout: 60_000 })
    for (const n of [a, b]) await w.page.waitForSelector(`#rates-body tr.measured[data-peer="${n.peer}"]`, { timeout: 60_000 })
    // Some channel traffic on a, so that the rates show messages (the channel made by the rates test).
    for (let i = 0; i < 30 && await w.page.textContent(`#rates-body tr[data-peer="${a.peer}"] .c-in`) === '0.0'; i++) {
      await ok(['send', `/${a.peer}/console/rates`, `shot${i}`, '--home', a.home])
    }
    await mkdir(fileURLToPath(new URL('.', `file://${screenshotFile}`)), { recursive: true })
    await w.page.screenshot({ path: screenshotFile, fullPage: true })
  })

  it('shows "—" for the rates of a host that refuses its counters, or does not answer, and goes on with the others', async function () {
    // c lets remote peers do nothing: Host.metrics needs 'read'.
    const c = await CliNode.startWithPolicy(tempHome(), '--grant', 'members=none', '--bootstrap', a.addrs[0])
    try {
      const row = `#rates-body tr[data-peer="${c.peer}"]`
      await w.page.waitForSelector(`${row}.failed`, { timeout: 60_000 })
      assert.equal(await w.page.textContent(`${row} .c-calls`), '—')
      assert.match(await w.page.getAttribute(row, 'title') ?? '', /lacks 'read'/)
      // a still measures its own and b's.
      for (const n of [a, b]) await w.page.waitForSelector(`#rates-body tr.measured[data-peer="${n.peer}"]`)
      // A host that hangs (still listed: a's --ttl is 60 s): no answer in rateAnswerMs (5 s), and not asked again
      // while that call is pending.
      c.child.kill('SIGSTOP')
      try {
        await w.page.waitForFunction(sel => /no answer in|still answering/.test(document.querySelector(sel)?.getAttribute('title') ?? ''), row, { timeout: 60_000 })
        assert.equal(await w.page.textContent(`${row} .c-in`), '—')
        await w.page.waitForSelector(`#rates-body tr.measured[data-peer="${a.peer}"]`)
      } finally {
        c.child.kill('SIGCONT')
      }
      await w.page.waitForFunction(sel => /lacks 'read'/.test(document.querySelector(sel)?.getAttribute('title') ?? ''), row, { timeout: 60_000 })
    } finally {
      await c.stop()
      c.cleanup()
    }
    // Gone from the rates with the host.
    await w.page.waitForSelector(`#rates-body tr[data-peer="${c.peer}"]`, { state: 'detached', timeout: 60_000 })
  })

  it('keeps working after the other node leaves, showing it gone', async function () {
    await b.stop()
    await w.page.waitForSelector(`#hosts-body tr.gone[data-peer="${b.peer}"]`)
    await w.page.waitForSelector(`#graph g.host.gone[data-peer="${b.peer}"]`)
    assert.match(await w.page.textContent('#host-count') ?? '', /^1 live, 2 gone/) // b, and c of the rates test
    const id = (await ok(['run', '-d', guest('idle'), '--home', a.home])).trim()
    await w.page.waitForSelector(`.proc[data-id="${id}"].running`)
    assert.equal(await w.page.getAttribute('body', 'data-state'), 'ready')
    const r = await wwAsync(['kill', id, '--home', a.home])
    assert.equal(r.status, 0, r.stderr)
  })

  it('says so, and nothing else goes wrong, when its own node stops', async function () {
    await ok(['stop', '--home', a.home])
    await w.page.waitForSelector('body[data-state=disconnected]')
    assert.match(await w.page.textContent('#status') ?? '', /^disconnected from the node .*; reload once it runs again$/)
    // The page's timers go on (hosts, procs, anchors) and must fail quietly: wait for a round of each.
    await new Promise(resolve => setTimeout(resolve, 6_000))
    assert.match(await w.page.textContent('#status') ?? '', /^disconnected from the node/)
  })
})
