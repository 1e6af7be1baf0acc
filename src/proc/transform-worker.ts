// Runs the load pipeline off the main thread: it takes seconds for a large module, which must not
// stall the event loop, and a binaryen abort on a hostile module must not poison the node's copy.
// With a native wasm-opt (transform-native.ts), a child process does steps 1-3 in binaryen.js
// (transform-child.ts) and wasm-opt, another, step 4, the slow one; without one, a worker thread
// does it all in binaryen.js. Only they load binaryen.js (~1 s and ~60 MB): a node that never prepares a
// module never pays for it.

import { Worker, isMainThread, parentPort } from 'node:worker_threads'
import { InvalidArgument } from '../errors.js'
import { logger } from '../log.js'
import { startInstrumenter, type Instrumenter } from './transform-child.js'
import { configuredWasmOpt, MIN_WASM_OPT_VERSION, optimizeNative, WASM_OPT_ENV, type WasmOpt } from './transform-native.js'

const log = logger('ww:proc:prepare')

interface Reply { ok: true, bytes: Uint8Array, workMs: number }
interface Failure { ok: false, message: string }

if (!isMainThread && parentPort !== null) {
  const port = parentPort
  const pipeline = import('./transform.js') // binaryen.js loads while the caller gets the bytes
  pipeline.catch(() => {}) // reported when the job awaits it
  port.once('message', (input: Uint8Array) => {
    void (async () => {
      let reply: Reply | Failure
      try {
        const { transformModule } = await pipeline
        const t = performance.now()
        const bytes = transformModule(input)
        reply = { ok: true, bytes, workMs: performance.now() - t }
      } catch (err) {
        reply = { ok: false, message: err instanceof InvalidArgument ? err.message : `cannot transform module: ${(err as Error).message}` }
      }
      port.postMessage(reply)
    })()
  })
}

/** What a job cost: the whole of it, and the part spent on the job itself (the rest: starting, loading binaryen.js). */
interface Timing { totalMs: number, workMs: number }

/** A worker thread that runs the whole pipeline in binaryen.js on the bytes it is given. */
interface Transformer { transform: (input: Uint8Array) => Promise<Uint8Array>, timing: Timing, stop: () => void, readonly alive: boolean }

/** A fresh worker thread for one job; it starts at once. */
function startTransformer (): Transformer {
  const timing: Timing = { totalMs: 0, workMs: 0 }
  const startedAt = performance.now()
  // This file by name, not import.meta.url: bundled (dist/cli/ww-start.js), this code is inside the node's bundle,
  // and tools/build-cli.sh puts a bundle of this file alone beside it.
  const worker = new Worker(new URL('./transform-worker.js', import.meta.url), { stderr: true, stdout: true })
  worker.stderr.resume()
  worker.stdout.resume()
  worker.unref() // until it has a job, it keeps no process alive
  let alive = true
  const done = new Promise<Uint8Array>((resolve, reject) => {
    worker.once('message', (r: Reply | Failure) => {
      if (!r.ok) return reject(new InvalidArgument(r.message))
      Object.assign(timing, { totalMs: performance.now() - startedAt, workMs: r.workMs })
      resolve(r.bytes)
    })
    worker.once('error', err => reject(new InvalidArgument(`cannot transform module: ${err.message}`)))
    worker.once('exit', code => { alive = false; reject(new InvalidArgument(`module transform stopped (exit ${code})`)) })
  })
  done.catch(() => {}).finally(() => { void worker.terminate() })
  return {
    timing,
    get alive () { return alive },
    stop: () => { void worker.terminate() },
    transform: async input => {
      worker.ref()
      worker.postMessage(input)
      return await done
    }
  }
}

/** What prepares the next module: wasm-opt after a child that instruments, or binaryen.js in a worker (and why). */
type Preparer = { wasmOpt: WasmOpt, instrumenter: Instrumenter } | { why: string, transformer: Transformer }

async function startPreparer (): Promise<Preparer> {
  const wasmOpt = await configuredWasmOpt()
  return typeof wasmOpt === 'string' ? { why: wasmOpt, transformer: startTransformer() } : { wasmOpt, instrumenter: startInstrumenter() }
}

const aliveAndWaiting = (p: Preparer): boolean => 'wasmOpt' in p ? p.instrumenter.alive : p.transformer.alive
const stopPreparer = (p: Preparer): void => { 'wasmOpt' in p ? p.instrumenter.stop() : p.transformer.stop() }

/** How long a preparer started ahead (prewarmTransform) waits for its module before it is stopped. */
const SPARE_IDLE_MS = 30_000
let spare: { preparer: Promise<Preparer>, idle: NodeJS.Timeout } | undefined

/**
 * Starts the next preparation's process or thread now, so that it loads binaryen.js (0.4 s of CPU,
 * more under load) while the module is still being fetched; at most one waits, for SPARE_IDLE_MS.
 */
export function prewarmTransform (): void {
  if (spare !== undefined) return
  const preparer = startPreparer()
  const idle = setTimeout(() => {
    if (spare?.preparer !== preparer) return
    spare = undefined
    void preparer.then(stopPreparer)
  }, SPARE_IDLE_MS).unref()
  spare = { preparer, idle }
}

async function takePreparer (): Promise<Preparer> {
  if (spare === undefined) return await startPreparer()
  clearTimeout(spare.idle)
  const p = await spare.preparer
  spare = undefined
  return aliveAndWaiting(p) ? p : await startPreparer()
}

let toldFallback = false

/** Modules this process prepared with each back end (a fallback after a wasm-opt failure counts as binaryen.js). */
export const preparedBy = { wasmOpt: 0, binaryenJs: 0 }

/** Says once per process why modules are prepared in binaryen.js (unless asked for with WW_WASM_OPT=none). */
function noteFallback (why: string): void {
  log('no native wasm-opt (%s): preparing modules with binaryen.js', why)
  if (toldFallback || process.env[WASM_OPT_ENV] === 'none') return
  toldFallback = true
  process.stderr.write(`ww: ${why}; preparing modules with binaryen.js, about twice as slow (install Debian package binaryen, or set ${WASM_OPT_ENV} to a wasm-opt >= ${MIN_WASM_OPT_VERSION})\n`)
}

const ms = (n: number): string => n.toFixed(0)

async function withBinaryenJs (transformer: Transformer, input: Uint8Array): Promise<Uint8Array> {
  const out = await transformer.transform(input)
  preparedBy.binaryenJs++
  const { totalMs, workMs } = transformer.timing
  log('prepared %d bytes with binaryen.js in %s ms: worker start and binaryen.js load %s ms, pipeline %s ms', input.length, ms(totalMs), ms(totalMs - workMs), ms(workMs))
  return out
}

/** The load pipeline off the main thread: native wasm-opt for step 4 when there is one, binaryen.js otherwise. */
export async function transformInWorker (input: Uint8Array): Promise<Uint8Array> {
  const preparer = await takePreparer()
  if (!('wasmOpt' in preparer)) {
    noteFallback(preparer.why)
    return await withBinaryenJs(preparer.transformer, input)
  }
  const { wasmOpt, instrumenter } = preparer
  try {
    const instrumented = await instrumenter.instrument(input)
    const t = performance.now()
    const out = await optimizeNative(wasmOpt, instrumented)
    if (!WebAssembly.validate(out as BufferSource)) throw new Error('wasm-opt output does not validate')
    preparedBy.wasmOpt++
    const native = performance.now() - t
    const { totalMs, workMs } = instrumenter.timing
    log('prepared %d bytes with wasm-opt %d in %s ms: process start and binaryen.js load %s ms, steps 1-3 %s ms, wasm-opt %s ms',
      input.length, wasmOpt.version, ms(totalMs + native), ms(totalMs - workMs), ms(workMs), ms(native))
    return out
  } catch (err) {
    if (err instanceof InvalidArgument) throw err // the module's fault: binaryen.js would say the same
    // the same module through binaryen.js: what the guest may do must not depend on which back end ran
    log.error('%s; preparing this module with binaryen.js instead', (err as Error).message)
    return await withBinaryenJs(startTransformer(), input)
  }
}
