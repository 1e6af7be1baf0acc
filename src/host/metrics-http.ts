// /metrics over HTTP: the Prometheus text format of the node's counters, with no token (meant for a
// private address: ww start --metrics ADDR). The handler is a plain node:http one, so another server
// (the console's) can mount it too.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import promClient from 'prom-client'
import { Unavailable } from '../errors.js'
import type { NodeMetrics } from './node-metrics.js'

export const METRICS_PATH = '/metrics'

/** Answers GET (and HEAD) /metrics with the counters; 404 for any other path, 405 for another method. */
export function metricsHandler (metrics: NodeMetrics): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: the counters are at ${METRICS_PATH}\n`)
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD\n')
      return
    }
    metrics.text().then(body => {
      res.writeHead(200, { 'content-type': promClient.contentType, 'cache-control': 'no-store' })
      res.end(req.method === 'HEAD' ? undefined : body)
    }, (err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`could not read the counters: ${String((err as Error)?.message ?? err)}\n`)
    })
  }
}

export interface MetricsServer {
  /** Where it listens, as http://HOST:PORT/metrics. */
  url: string
  close: () => Promise<void>
}

/** Serves metricsHandler on `host`:`port`; Unavailable when the address cannot be bound. */
export async function serveMetrics (metrics: NodeMetrics, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer(metricsHandler(metrics))
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Unavailable(`cannot serve metrics on ${host}:${port} (${err.code ?? err.message}): choose another --metrics address`))
    })
    server.listen(port, host, () => { resolve() })
  })
  const addr = server.address()
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port
  const shown = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shown}:${bound}${METRICS_PATH}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}
