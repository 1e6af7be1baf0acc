// Steps 1-3 of the load pipeline (transform.ts: instrumentModule) in a child process, for the native
// back end: `node --liftoff-only` runs binaryen.js's 10 MB of WebAssembly on baseline code only. In a
// worker thread of the node, V8 would also optimize it on background threads (TurboFan, which only
// the node's own procs should pay for, and flags are per process): 0.9 s of CPU against 0.45 s here
// for hello.c, most of a first run's. The module's bytes go in on stdin; its instrumented bytes come
// out on stdout, or one line of error on stderr and exit code 1.

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { InvalidArgument } from '../errors.js'

/** Heard on stderr before the bytes are written: how long the instrumentation itself took. */
const TIMING_PREFIX = 'ww-instrumented-ms '

const entry = fileURLToPath(import.meta.url)
// This file by name: bundled (dist/cli/ww-start.js), this code is inside the node's bundle, and
// tools/build-cli.sh puts a bundle of this file alone beside it.
const childFile = fileURLToPath(new URL('./transform-child.js', import.meta.url))
const MARK = 'ww-instrument'
if (process.argv[1] === entry && process.argv[2] === MARK) {
  const { instrumentModule } = await import('./transform.js')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  try {
    const t = performance.now()
    const out = instrumentModule(new Uint8Array(Buffer.concat(chunks)))
    process.stderr.write(`${TIMING_PREFIX}${Math.round(performance.now() - t)}\n`)
    process.stdout.write(out)
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exitCode = 1
  }
}

export interface Instrumenter {
  /** Sends the module's bytes; resolves with the instrumented ones, InvalidArgument for bytes that are not a usable module, another Error if the process failed. */
  instrument: (input: Uint8Array) => Promise<Uint8Array>
  /** What the job cost: the whole (from the start of the process) and the instrumentation alone. */
  timing: { totalMs: number, workMs: number }
  /** Ends the process if it has not been given its job. */
  stop: () => void
  readonly alive: boolean
}

/** Starts the child now (it loads binaryen.js while the caller gets the bytes). */
export function startInstrumenter (): Instrumenter {
  const startedAt = performance.now()
  const child = spawn(process.execPath, ['--liftoff-only', childFile, MARK], { stdio: ['pipe', 'pipe', 'pipe'] })
  const handles = [child, child.stdin, child.stdout, child.stderr] as Array<{ ref: () => void, unref: () => void }>
  const out: Buffer[] = []
  let err = ''
  child.stdout.on('data', (d: Buffer) => out.push(d))
  child.stderr.on('data', (d: Buffer) => { err += String(d) })
  child.stdin.on('error', () => {}) // a child that died early is reported by its exit
  let alive = true
  const timing = { totalMs: 0, workMs: 0 }
  const ended = new Promise<Uint8Array>((resolve, reject) => {
    child.once('error', e => { alive = false; reject(new Error(`cannot start the instrumenting process: ${e.message}`)) })
    child.once('close', (code, signal) => {
      alive = false
      const workLine = err.split('\n').find(l => l.startsWith(TIMING_PREFIX))
      const message = err.split('\n').find(l => l.trim() !== '' && !l.startsWith(TIMING_PREFIX))
      if (code === 0 && workLine !== undefined) {
        timing.totalMs = performance.now() - startedAt
        timing.workMs = Number(workLine.slice(TIMING_PREFIX.length))
        resolve(new Uint8Array(Buffer.concat(out)))
      } else {
        // exit 1 is the module's fault; anything else this process's (a node without --liftoff-only, a kill)
        reject(code === 1 && message !== undefined ? new InvalidArgument(message) : new Error(`instrumenting process stopped (${signal ?? `exit ${String(code)}`}${message !== undefined ? `: ${message}` : ''})`))
      }
    })
  })
  ended.catch(() => {})
  for (const h of handles) h.unref() // until it has a job, it keeps no process alive
  return {
    timing,
    get alive () { return alive },
    stop: () => { if (alive) child.kill() },
    instrument: async input => {
      for (const h of handles) h.ref()
      child.stdin.end(input)
      return await ended
    }
  }
}
