// The web console's HTTP server (ww start --ui): a small route table (the page, its script; /metrics can be
// mounted beside them) and, at /rpc, the Host capability over a WebSocket, the same bootstrap as the API socket.
// Every request must name the node by IP address or localhost; a WebSocket must also come from the page's own
// Origin and carry the start's token (ui-access.ts), else it is refused at the upgrade, before any RPC.
import { readFile, unlink, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { gzipSync } from 'node:zlib'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { NotFound, Unavailable } from '../errors.js'
import { Connection, type Capability } from '../rpc/index.js'
import { websocketTransport } from '../transport/websocket.js'
import { makeUiToken, refusedBearer, refusedHost, refusedUpgrade } from './ui-access.js'
import { CAPNP_SUBPROTOCOL, RPC_PATH } from './ui-protocol.js'
import { hostLimits } from './limits.js'

export interface UiRoute {
  path: string
  /** true: only with `Authorization: Bearer <token>` (for a scraper; the page itself reaches the node at /rpc). */
  token: boolean
  handle: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>
}

export interface UiOptions {
  /** Address to bind: an IP address or localhost. */
  host: string
  /** 0: any free port. */
  port: number
  /** The directory of the built page: index.html, console.js and console.css (tools/build-ui.sh). */
  pageDir: URL
  /** Where the URL is written (mode 0600) while the server runs, for `ww ui`. */
  urlFile: string
}

export interface UiServer {
  /** The console's URL, token included (in the fragment). */
  readonly url: string
  /** Adds a GET route (e.g. /metrics behind the token). */
  route: (r: UiRoute) => void
  /** Stops accepting, closes every console connection and removes the URL file. */
  close: (reason: string) => Promise<void>
}

/** The page's files, read once at start, with their content types. */
const PAGE_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8'
}

/** Headers on every answer: no framing by other sites, no Referer, nothing loaded from elsewhere. */
const SAFE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store'
}

interface PageFile { type: string, body: Buffer, gzipped: Buffer }

async function readPage (pageDir: URL): Promise<Map<string, PageFile>> {
  const files = new Map<string, PageFile>()
  for (const [name, type] of Object.entries(PAGE_FILES)) {
    const file = new URL(name, pageDir)
    const body = await readFile(file).catch(() => {
      throw new NotFound(`the console's page is not built (no ${file.pathname}): run 'make build'`)
    })
    files.set(name, { type, body, gzipped: gzipSync(body) })
  }
  return files
}

function refuse (res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...SAFE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' })
  res.end(text + '\n')
}

/** Ends an upgrade request with a plain HTTP error (the WebSocket never opens). */
function refuseUpgrade (socket: Duplex, status: string, text: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`)
  socket.destroy()
}

/** The close reason of a page that read too slowly (a WebSocket close reason is at most 123 bytes). */
const SLOW_PAGE = `the page read too slowly: over ${hostLimits.uiBufferedBytesMax >> 20} MiB waited to be sent (uiBufferedBytesMax); reload it`

/** A host part of a URL: IPv6 addresses in brackets; a wildcard address as loopback, where the owner's browser finds it. */
function urlHost (host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}

export async function serveUi (bootstrap: Capability, options: UiOptions): Promise<UiServer> {
  const page = await readPage(options.pageDir)
  const token = makeUiToken()
  const routes = new Map<string, UiRoute>()
  const conns = new Set<Connection>()
  const fileRoute = (name: string): UiRoute['handle'] => (req, res) => {
    const f = page.get(name)!
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
    const body = gzip ? f.gzipped : f.body
    res.writeHead(200, { ...SAFE_HEADERS, 'Content-Type': f.type, 'Content-Length': body.byteLength, Vary: 'Accept-Encoding', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) })
    res.end(body)
  }
  routes.set('/', { path: '/', token: false, handle: fileRoute('index.html') })
  for (const name of Object.keys(PAGE_FILES)) {
    if (name !== 'index.html') routes.set(`/${name}`, { path: `/${name}`, token: false, handle: fileRoute(name) })
  }

  const server = createServer((req, res) => {
    const badHost = refusedHost(req)
    if (badHost !== undefined) { refuse(res, 403, `refused: ${badHost}`); return }
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const route = routes.get(path)
    if (route === undefined) { refuse(res, 404, `no ${path} here`); return }
    if (req.method !== 'GET' && req.method !== 'HEAD') { refuse(res, 405, 'only GET'); return }
    if (route.token) {
      const why = refusedBearer(req, token)
      if (why !== undefined) { refuse(res, 401, `refused: ${why}`); return }
    }
    void Promise.resolve(route.handle(req, res)).catch((err: Error) => {
      if (!res.headersSent) refuse(res, 500, err.message)
      else res.destroy()
    })
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: hostLimits.uiWebSocketMessageBytes, handleProtocols: () => CAPNP_SUBPROTOCOL })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {})
    if (new URL(req.url ?? '/', 'http://x').pathname !== RPC_PATH) { refuseUpgrade(socket, '404 Not Found', `no WebSocket here but ${RPC_PATH}`); return }
    const why = refusedUpgrade(req, token)
    if (why !== undefined) { refuseUpgrade(socket, '403 Forbidden', `refused: ${why}`); return }
    if (conns.size >= hostLimits.uiConnectionsMax) {
      refuseUpgrade(socket, '503 Service Unavailable', `the console already holds ${hostLimits.uiConnectionsMax} connections (uiConnectionsMax); close a tab`)
      return
    }
    wss.handleUpgrade(req, socket, head, ws => {
      const c = new Connection(websocketTransport(ws, { maxBufferedBytes: hostLimits.uiBufferedBytesMax, slowReason: SLOW_PAGE }), { bootstrap, name: 'ui' })
      conns.add(c)
      void c.closed.then(() => conns.delete(c))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES'
        ? new Unavailable(`the console cannot listen on ${urlHost(options.host)}:${options.port} (${err.code}): give another address with --ui ADDR`)
        : err)
    })
    server.listen(options.port, options.host, resolve)
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  const url = `http://${urlHost(options.host)}:${port}/#token=${token}`
  await unlink(options.urlFile).catch(() => {})
  await writeFile(options.urlFile, url + '\n', { mode: 0o600, flag: 'wx' })
  return {
    url,
    route (r) { routes.set(r.path, r) },
    async close (reason) {
      await unlink(options.urlFile).catch(() => {})
      for (const c of conns) c.close(reason)
      wss.close()
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
