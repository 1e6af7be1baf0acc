// Runs the load pipeline off the main thread: it takes seconds for a large module, which must not
// stall the event loop, and a binaryen abort on a hostile module must not poison the node's copy.
// With a native wasm-opt (transform-native.ts), a worker does steps 1-3 in binaryen.js and wasm-opt,
// a child process, step 4, the slow one; without one, the worker does it all.

import { Worker, isMainThread, parentPort } from 'node:worker_threads'
import { InvalidArgument } from '../errors.js'
import { logger } from '../log.js'
import { configuredWasmOpt, MIN_WASM_OPT_VERSION, optimizeNative, WASM_OPT_ENV } from './transform-native.js'

const log = logger('ww:proc:prepare')

/** What a worker does with the bytes: the whole pipeline, or steps 1-3 for wasm-opt. */
type Job = 'transform' | 'instrument'
interface Request { job: Job, input: Uint8Array }
interface Reply { ok: true, bytes: Uint8Array, workMs: number }
interface Failure { ok: false, message: string }

if (!isMainThread && parentPort !== null) {
  const port = parentPort
  const pipeline = import('./transform.js') // binaryen.js loads while the caller decides what to ask
  pipeline.catch(() => {}) // reported when the job awaits it
  port.once('message', (req: Request) => {
    void (async () => {
      let reply: Reply | Failure
      try {
        const { instrumentModule, transformModule } = await pipeline
        const t = performance.now()
        const bytes = req.job === 'transform' ? transformModule(req.input) : instrumentModule(req.input)
        reply = { ok: true, bytes, workMs: performance.now() - t }
      } catch (err) {
        reply = { ok: false, message: err instanceof InvalidArgument ? err.message : `cannot transform module: ${(err as Error).message}` }
      }
      port.postMessage(reply)
    })()
  })
}

/** What a job cost: the whole of it, and the part spent on the job itself (the rest: starting the thread, loading binaryen.js). */
interface Timing { totalMs: number, workMs: number }

type Ask = (job: Job, input: Uint8Array) => Promise<Uint8Array>
interface Started { ask: Ask, worker: Worker, timing: Timing, alive: boolean }

/** A fresh worker thread for one job; it starts at once. */
function startWorker (): Started {
  const timing: Timing = { totalMs: 0, workMs: 0 }
  const startedAt = performance.now()
  const worker = new Worker(new URL(import.meta.url), { stderr: true, stdout: true })
  worker.stderr.resume()
  worker.stdout.resume()
  const done = new Promise<Uint8Array>((resolve, reject) => {
    worker.once('message', (r: Reply | Failure) => {
      if (!r.ok) return reject(new InvalidArgument(r.message))
      Object.assign(timing, { totalMs: performance.now() - startedAt, workMs: r.workMs })
      resolve(r.bytes)
    })
    worker.once('error', err => reject(new InvalidArgument(`cannot transform module: ${err.message}`)))
    worker.once('exit', code => reject(new InvalidArgument(`module transform stopped (exit ${code})`)))
  })
  done.catch(() => {}).finally(() => { void worker.terminate() })
  const ask: Ask = async (job, input) => {
    worker.ref()
    worker.postMessage({ job, input } satisfies Request)
    return await done
  }
  const started: Started = { ask, worker, timing, alive: true }
  worker.once('exit', () => { started.alive = false })
  return started
}

/** How long a worker started ahead (prewarmTransform) waits for its job before it is stopped. */
const SPARE_IDLE_MS = 30_000
let spare: { started: Started, idle: NodeJS.Timeout } | undefined

/**
 * Starts the next preparation's worker now, so that it loads binaryen.js while the module is still
 * being fetched (0.4 s of CPU, more under load); at most one waits, for SPARE_IDLE_MS.
 */
export function prewarmTransform (): void {
  if (spare !== undefined) return
  const started = startWorker()
  started.worker.unref() // a spare keeps no process alive
  const idle = setTimeout(() => {
    if (spare?.started !== started) return
    spare = undefined
    void started.worker.terminate()
  }, SPARE_IDLE_MS).unref()
  spare = { started, idle }
}

function takeWorker (): Started {
  if (spare === undefined) return startWorker()
  clearTimeout(spare.idle)
  const { started } = spare
  spare = undefined
  return started.alive ? started : startWorker()
}

let toldFallback = false

/** Modules this process prepared with each back end (a fallback after a wasm-opt failure counts as binaryen.js). */
export const preparedBy = { wasmOpt: 0, binaryenJs: 0 }

/** Says once per process why modules are prepared in binaryen.js (unless asked for with WW_WASM_OPT=none). */
function noteFallback (why: string): void {
  log('no native wasm-opt (%s): preparing modules with binaryen.js', why)
  if (toldFallback || process.env[WASM_OPT_ENV] === 'none') return
  toldFallback = true
  process.stderr.write(`ww: ${why}; preparing modules with binaryen.js, about twice as slow (install Debian package binaryen, or set ${WASM_OPT_ENV} to a wasm-opt ${'>='} ${MIN_WASM_OPT_VERSION})\n`)
}

const ms = (n: number): string => n.toFixed(0)

/** The load pipeline off the main thread: native wasm-opt for step 4 when there is one, binaryen.js otherwise. */
export async function transformInWorker (input: Uint8Array): Promise<Uint8Array> {
  const { ask, timing } = takeWorker()
  const wasmOpt = await configuredWasmOpt()
  if (typeof wasmOpt === 'string') {
    noteFallback(wasmOpt)
    const out = await ask('transform', input)
    preparedBy.binaryenJs++
    log('prepared %d bytes with binaryen.js in %s ms: worker start and binaryen.js load %s ms, pipeline %s ms',
      input.length, ms(timing.totalMs), ms(timing.totalMs - timing.workMs), ms(timing.workMs))
    return out
  }
  const instrumented = await ask('instrument', input)
  try {
    const t = performance.now()
    const out = await optimizeNative(wasmOpt, instrumented)
    if (!WebAssembly.validate(out as BufferSource)) throw new Error('wasm-opt output does not validate')
    preparedBy.wasmOpt++
    const native = performance.now() - t
    log('prepared %d bytes with wasm-opt %d in %s ms: worker start and binaryen.js load %s ms, steps 1-3 %s ms, wasm-opt %s ms',
      input.length, wasmOpt.version, ms(timing.totalMs + native), ms(timing.totalMs - timing.workMs), ms(timing.workMs), ms(native))
    return out
  } catch (err) {
    // the same module through binaryen.js: what the guest may do must not depend on which back end ran
    log.error('%s; preparing this module with binaryen.js instead', (err as Error).message)
    const out = await startWorker().ask('transform', input)
    preparedBy.binaryenJs++
    return out
  }
}
