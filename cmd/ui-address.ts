// The address of `ww start --ui [ADDR]`: PORT, HOST, HOST:PORT or [IPv6]:PORT; alone, 127.0.0.1 on a free port.
import { isIP } from 'node:net'
import { InvalidArgument } from '../src/errors.js'

export const UI_DEFAULT_HOST = '127.0.0.1'

export interface UiAddress { host: string, port: number }

export function parseUiAddress (flag: string | true): UiAddress {
  if (flag === true) return { host: UI_DEFAULT_HOST, port: 0 }
  const bad = (): InvalidArgument => new InvalidArgument(
    `--ui takes PORT, HOST, HOST:PORT or [IPv6]:PORT with HOST an IP address or localhost, got ${JSON.stringify(flag)}`)
  let host = UI_DEFAULT_HOST
  let port = '0'
  let m: RegExpExecArray | null
  if (/^\d+$/.test(flag)) port = flag
  else if ((m = /^\[([^\]]+)\](?::(\d+))?$/.exec(flag)) !== null) { host = m[1]; port = m[2] ?? '0' }
  else if ((m = /^([^:]+)(?::(\d+))?$/.exec(flag)) !== null) { host = m[1]; port = m[2] ?? '0' }
  else if (isIP(flag) === 6) host = flag
  else throw bad()
  const n = Number(port)
  if (!Number.isInteger(n) || n > 65535) throw bad()
  if (host !== 'localhost' && isIP(host) === 0) throw bad()
  return { host, port: n }
}
