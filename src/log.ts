// Debug logging for every layer but cluster/ (which logs through libp2p's components): switched on by the same DEBUG
// variable as @libp2p/logger (DEBUG=ww:* or DEBUG=ww:rpc,ww:csp:error; "-name" excludes), without
// loading that package, which would add ~30 ms to the start of every CLI command.
import { formatWithOptions } from 'node:util'

export interface Log {
  (format: string, ...args: unknown[]): void
  error: (format: string, ...args: unknown[]) => void
  trace: (format: string, ...args: unknown[]) => void
}

type Pattern = { re: RegExp, exclude: boolean }

let patterns: Pattern[] | undefined

function parse (spec: string): Pattern[] {
  return spec.split(/[\s,]+/).filter(p => p !== '').map(p => {
    const exclude = p.startsWith('-')
    const glob = (exclude ? p.slice(1) : p).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')
    return { re: new RegExp(`^${glob}$`), exclude }
  })
}

/** Whether DEBUG switches on `name`. */
export function enabled (name: string): boolean {
  patterns ??= parse(process.env.DEBUG ?? '')
  let on = false
  for (const p of patterns) if (p.re.test(name)) on = !p.exclude
  return on
}

/** Decides at the first call, not when made: loggers are made as modules load (which may be at build time, in the CLI's startup snapshot). */
function writer (name: string): (format: string, ...args: unknown[]) => void {
  let on: boolean | undefined
  return (format, ...args) => {
    if (!(on ??= enabled(name))) return
    process.stderr.write(`${new Date().toISOString()} ${name} ${formatWithOptions({ colors: false }, format, ...args)}\n`)
  }
}

export function logger (name: string): Log {
  return Object.assign(writer(name), { error: writer(`${name}:error`), trace: writer(`${name}:trace`) })
}
