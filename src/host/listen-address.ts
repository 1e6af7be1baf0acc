// An HTTP listen address as a flag gives it (ww start --metrics): no dependencies, so the CLI bundle may parse it.
import { InvalidArgument } from '../errors.js'

/** "HOST:PORT", ":PORT" or "PORT" (host 127.0.0.1), "[v6]:PORT". InvalidArgument otherwise. */
export function parseListenAddress (text: string, flag: string): { host: string, port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d{1,5})$/.exec(text.trim())
  const port = m === null ? NaN : Number(m[2])
  if (m === null || port > 65535) {
    throw new InvalidArgument(`${flag} takes HOST:PORT (e.g. 127.0.0.1:9464, or :PORT for 127.0.0.1), got ${JSON.stringify(text)}`)
  }
  const host = m[1] === undefined || m[1] === '' ? '127.0.0.1' : m[1].replace(/^\[|\]$/g, '')
  return { host, port }
}
