// Shared by the proc tests: the built guests (make guests), one module cache for the whole run
// (the transform takes seconds per module), and a helper that runs a guest to the end.

import binaryen from 'binaryen'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Executor, LocalWorld, ModuleCache, type ExitStatus, type Proc, type SpawnOptions } from '../../src/proc/index.js'

const here = dirname(fileURLToPath(import.meta.url))
/** guest/build of the repo (this file runs from dist/test/proc). */
export const GUEST_BUILD = resolve(here, '../../../guest/build')

export function guest (name: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(join(GUEST_BUILD, `${name}.wasm`)))
  } catch (err) {
    throw new Error(`guest ${name} is not built: run 'make guests' (${(err as Error).message})`)
  }
}

/** Content-addressed, so sharing it between runs is safe (corrupt files are rebuilt). */
export const SHARED_CACHE_DIR = join(tmpdir(), 'ww-test-proc-modules')
export const sharedCache = new ModuleCache({ dir: SHARED_CACHE_DIR })

export const ALL_GUESTS = ['hello', 'hello-as', 'echo', 'ping', 'fanout', 'loop', 'membomb', 'badptr', 'idle', 'cat', 'plain-yield', 'deep', 'forkbomb']

/** Transforms every test guest once (in parallel worker threads). */
export async function warmCache (): Promise<void> {
  await Promise.all(ALL_GUESTS.map(async g => await sharedCache.add(guest(g))))
}

export const PEER = '12D3KooWTestPeerA'

export function node (cache: ModuleCache = sharedCache): { world: LocalWorld, executor: Executor } {
  const world = new LocalWorld({ peerId: PEER, tags: { zone: 'test' } })
  const executor = new Executor({ cache, world: world.forProc })
  return { world, executor }
}

export interface Ran { proc: Proc, status: ExitStatus, stdout: string, stderr: string }

/** Spawns with text sinks for stdout and stderr and waits for the end. */
export async function run (executor: Executor, name: string, opts: Partial<SpawnOptions> = {}): Promise<Ran> {
  const out = collector()
  const err = collector()
  const proc = await executor.spawn({ module: { bytes: guest(name) }, name, stdout: out.sink, stderr: err.sink, ...opts })
  const status = await proc.wait()
  return { proc, status, stdout: out.text(), stderr: err.text() }
}

export function collector (): { sink: (c: Uint8Array) => void, text: () => string } {
  const dec = new TextDecoder()
  let s = ''
  return { sink: c => { s += dec.decode(c) }, text: () => s }
}

/** Resolves once `cond` holds, checking on every turn of the event loop; rejects after `ms`. */
export async function until (cond: () => boolean, ms = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setImmediate(resolve))
  }
}

/** A module from its text format. */
export function wat (text: string): Uint8Array {
  const m = binaryen.parseText(text)
  try { return m.emitBinary() } finally { m.dispose() }
}
