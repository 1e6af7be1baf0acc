// The console's HTTP server in process: its routes (and one mounted behind the token, as /metrics will be), the
// checks at the upgrade, the bootstrap it serves over the WebSocket, its connection cap and its close.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { WebSocket } from 'ws'
import { Disconnected, NotFound } from '../../src/errors.js'
import { hostLimits } from '../../src/host/limits.js'
import { serveUi, type UiServer } from '../../src/host/ui-server.js'
import { Connection } from '../../src/rpc/index.js'
import { websocketTransport } from '../../src/transport/index.js'
import { AdderClient } from '../rpc/gen/rpctest.rpc.js'
import { eventually } from '../waiting.js'

interface Reply { status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }

async function get (url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }) })
    })
    req.on('error', reject)
    req.end()
  })
}

/** Opens a WebSocket to /rpc; resolves with it open, or with the HTTP status it was refused with. */
async function upgrade (base: string, protocols: string[], origin: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return await new Promise(resolve => {
    const ws = new WebSocket(base.replace(/^http/, 'ws') + 'rpc', protocols, { origin, headers })
    ws.once('open', () => { resolve(ws) })
    ws.once('unexpected-response', (_req, res) => { res.resume(); resolve(res.statusCode ?? 0) })
    ws.on('error', () => {})
  })
}

describe('console HTTP server (in process)', function () {
  this.timeout(60_000)
  let dir: string
  let ui: UiServer
  let base: string
  let token: string
  let origin: string
  const bootstrap = AdderClient.serve({ add (p, r) { r.sum = p.a + p.b; r.via = 'console' }, next () {}, addVia () {} })

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ww-ui-'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
    writeFileSync(join(dir, 'console.js'), 'console.log("page");'.repeat(200))
    writeFileSync(join(dir, 'console.css'), 'body {}')
    ui = await serveUi(bootstrap, { host: '127.0.0.1', port: 0, pageDir: pathToFileURL(dir + '/'), urlFile: join(dir, 'ui.url') })
    base = ui.url.replace(/#.*$/, '')
    token = ui.url.replace(/^.*#token=/, '')
    origin = base.replace(/\/$/, '')
    ui.route({ path: '/metrics', token: true, handle: (_req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('ww_up 1\n') } })
  })

  after(async () => {
    await ui?.close('test done')
    bootstrap.release()
    rmSync(dir, { recursive: true, force: true })
  })

  it('writes its URL, token in the fragment, to the URL file (mode 0600)', () => {
    assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/)
    assert.equal(readFileSync(join(dir, 'ui.url'), 'utf8'), ui.url + '\n')
    assert.equal(statSync(join(dir, 'ui.url')).mode & 0o777, 0o600)
  })

  it('serves the page with headers that keep it to itself, gzipped when asked', async () => {
    const page = await get(base)
    assert.equal(page.status, 200)
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'; style-src 'self';.*connect-src 'self'.*frame-ancestors 'none'/)
    assert.equal((await get(base + 'console.css')).headers['content-type'], 'text/css; charset=utf-8')
    assert.equal(page.headers['referrer-policy'], 'no-referrer')
    const js = await get(base + 'console.js', { 'Accept-Encoding': 'gzip' })
    assert.equal(js.headers['content-encoding'], 'gzip')
    assert.ok(js.body.length < 200)
    assert.equal(gunzipSync(js.body).toString(), 'console.log("page");'.repeat(200))
    assert.equal((await get(base + 'nothing')).status, 404)
    assert.equal((await get(base, {}, 'POST')).status, 405)
  })

  it('a route mounted behind the token answers only with Authorization: Bearer <token>', async () => {
    assert.equal((await get(base + 'metrics')).status, 401)
    assert.equal((await get(base + 'metrics', { Authorization: `Bearer ${'0'.repeat(64)}` })).status, 401)
    const ok = await get(base + 'metrics', { Authorization: `Bearer ${token}` })
    assert.equal(ok.status, 200)
    assert.equal(ok.body.toString(), 'ww_up 1\n')
  })

  it('refuses a Host that is not an IP address or localhost, even with the token', async () => {
    assert.equal((await get(base, { Host: 'rebound.example' })).status, 403)
    assert.equal((await get(base + 'metrics', { Host: 'rebound.example', Authorization: `Bearer ${token}` })).status, 403)
    const port = new URL(base).port
    assert.equal(await upgrade(base, ['ww-capnp', `ww-token.${token}`], `http://rebound.example:${port}`, { Host: `rebound.example:${port}` }), 403)
    assert.equal((await get(base, { Host: `localhost:${port}` })).status, 200)
  })

  it('serves its bootstrap over the WebSocket to the right token and Origin only', async () => {
    assert.equal(await upgrade(base, ['ww-capnp', `ww-token.${'f'.repeat(64)}`], origin), 403)
    assert.equal(await upgrade(base, ['ww-capnp', `ww-token.${token}`], 'http://evil.example'), 403)
    assert.equal(await upgrade(base, ['ww-capnp', `ww-token.${token}`], origin.replace('127.0.0.1', 'localhost')), 403)
    assert.equal(await upgrade(base, [`ww-token.${token}`], origin), 403)
    const ws = await upgrade(base, ['ww-capnp', `ww-token.${token}`], origin)
    assert.ok(ws instanceof WebSocket)
    assert.equal(ws.protocol, 'ww-capnp')
    const conn = new Connection(websocketTransport(ws), { name: 'test' })
    const adder = conn.bootstrap(AdderClient)
    using r = adder.add(p => { p.a = 40n; p.b = 2n })
    assert.equal((await r).sum, 42n)
    adder.release()
    conn.close()
  })

  it(`holds at most uiConnectionsMax (${hostLimits.uiConnectionsMax}) connections; one more is refused with 503`, async () => {
    const open: WebSocket[] = []
    // The connection of the test before may still be closing: fill up to the cap, whatever is left of it.
    for (;;) {
      const ws = await upgrade(base, ['ww-capnp', `ww-token.${token}`], origin)
      if (!(ws instanceof WebSocket)) { assert.equal(ws, 503); break }
      open.push(ws)
      assert.ok(open.length <= hostLimits.uiConnectionsMax)
    }
    assert.ok(open.length >= hostLimits.uiConnectionsMax - 1)
    for (const ws of open) ws.close()
    await eventually('a connection to be accepted again', async () => {
      const ws = await upgrade(base, ['ww-capnp', `ww-token.${token}`], origin)
      if (ws instanceof WebSocket) { ws.close(); return true }
      return false
    })
  })

  it('close ends the console\'s connections and removes the URL file', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'ww-ui-'))
    writeFileSync(join(dir2, 'index.html'), 'x')
    writeFileSync(join(dir2, 'console.js'), 'x')
    writeFileSync(join(dir2, 'console.css'), 'x')
    const second = await serveUi(bootstrap, { host: '127.0.0.1', port: 0, pageDir: pathToFileURL(dir2 + '/'), urlFile: join(dir2, 'ui.url') })
    const b = second.url.replace(/#.*$/, '')
    const ws = await upgrade(b, ['ww-capnp', `ww-token.${second.url.replace(/^.*#token=/, '')}`], b.replace(/\/$/, ''))
    assert.ok(ws instanceof WebSocket)
    const conn = new Connection(websocketTransport(ws), { name: 'test' })
    await second.close('the node is stopping')
    await conn.closed
    assert.ok(conn.error instanceof Disconnected, String(conn.error))
    assert.equal(existsSync(join(dir2, 'ui.url')), false)
    rmSync(dir2, { recursive: true, force: true })
  })

  it('a page that is not built: NotFound naming the file and make build', async () => {
    await assert.rejects(serveUi(bootstrap, { host: '127.0.0.1', port: 0, pageDir: pathToFileURL(join(dir, 'none') + '/'), urlFile: join(dir, 'x.url') }),
      (err: Error) => err instanceof NotFound && /^the console's page is not built \(no .*\/none\/index\.html\): run 'make build'$/.test(err.message))
  })
})
