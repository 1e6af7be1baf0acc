// Step 4 of the load pipeline (transform.ts) in a native `wasm-opt` (Debian package `binaryen`):
// the same passes as binaryen.js runs, in about half the time and on every core. Which wasm-opt is
// used, and whether one is, is decided once per process (configuredWasmOpt); without one the whole
// pipeline stays in binaryen.js.

import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { asyncImportList } from './abi.js'
import { OPTIMIZE, PRE_ASYNCIFY_PASSES } from './transform-options.js'

/** The oldest wasm-opt whose output the tests have checked (Debian bookworm's binaryen 108). */
export const MIN_WASM_OPT_VERSION = 108
/** Environment variable naming the wasm-opt to use; `none` keeps the pipeline in binaryen.js. */
export const WASM_OPT_ENV = 'WW_WASM_OPT'

/** The features transform.ts enables in binaryen.js, as wasm-opt flags. */
const FEATURE_FLAGS = ['--enable-mutable-globals', '--enable-sign-ext', '--enable-bulk-memory',
  '--enable-nontrapping-float-to-int', '--enable-simd', '--enable-multivalue']

export interface WasmOpt { path: string, version: number }

async function run (file: string, args: string[]): Promise<{ stdout: string, stderr: string }> {
  return await new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) reject(Object.assign(err, { stderr }))
      else resolve({ stdout, stderr })
    })
  })
}

const probes = new Map<string, Promise<WasmOpt | string>>()

/** The wasm-opt at `path` (a name on PATH or a file) if it runs and is new enough, else why not. */
export async function probeWasmOpt (path: string): Promise<WasmOpt | string> {
  let p = probes.get(path)
  if (p === undefined) {
    p = (async () => {
      try {
        const { stdout } = await run(path, ['--version'])
        const m = /version (\d+)/.exec(stdout)
        if (m === null) return `${path} --version printed no version`
        const version = Number(m[1])
        if (version < MIN_WASM_OPT_VERSION) return `${path} is version ${version}; ww needs ${MIN_WASM_OPT_VERSION} or newer`
        return { path, version }
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${path} not found` : `${path} does not run: ${(err as Error).message}`
      }
    })()
    probes.set(path, p)
  }
  return await p
}

/** The wasm-opt this process uses ($WW_WASM_OPT, else `wasm-opt` on PATH), or why there is none. */
export async function configuredWasmOpt (): Promise<WasmOpt | string> {
  const path = process.env[WASM_OPT_ENV] ?? 'wasm-opt'
  if (path === 'none') return `${WASM_OPT_ENV}=none`
  return await probeWasmOpt(path)
}

/** The wasm-opt command line for step 4, reading `input` and writing `output`. */
export function wasmOptArgs (input: string, output: string): string[] {
  return [
    input, '-o', output, ...FEATURE_FLAGS,
    // the level asyncify optimizes at (-O<n> would set it too, and run the whole pipeline again after it)
    `--optimize-level=${OPTIMIZE.level}`, `--shrink-level=${OPTIMIZE.shrink}`,
    `--always-inline-max-function-size=${OPTIMIZE.alwaysInlineMaxSize}`,
    ...PRE_ASYNCIFY_PASSES.map(p => `--${p}`),
    `--pass-arg=asyncify-imports@${asyncImportList().join(',')}`, '--asyncify'
  ]
}

/** Runs step 4 on instrumented bytes (transform.ts, steps 1-3) with `wasmOpt`. */
export async function optimizeNative (wasmOpt: WasmOpt, instrumented: Uint8Array): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'ww-prepare-'))
  try {
    const input = join(dir, 'in.wasm')
    const output = join(dir, 'out.wasm')
    await writeFile(input, instrumented)
    try {
      await run(wasmOpt.path, wasmOptArgs(input, output))
    } catch (err) {
      const detail = String((err as { stderr?: string }).stderr ?? '').split('\n').find(l => l.trim() !== '') ?? (err as Error).message
      throw new Error(`wasm-opt failed: ${detail.trim()}`)
    }
    return new Uint8Array(await readFile(output))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
