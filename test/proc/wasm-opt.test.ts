// Which back end prepares a module: a native wasm-opt when one that works is configured, binaryen.js
// otherwise (said once on stderr), and binaryen.js again for a module wasm-opt fails on.

import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { preparedBy, transformInWorker } from '../../src/proc/index.js'
import { prewarmTransform } from '../../src/proc/transform-worker.js'
import { MIN_WASM_OPT_VERSION, probeWasmOpt, WASM_OPT_ENV } from '../../src/proc/transform-native.js'
import { guest } from './helpers.js'

/** An executable script standing in for wasm-opt. */
function fakeWasmOpt (dir: string, name: string, body: string): string {
  const path = join(dir, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

/** Runs `work` with WW_WASM_OPT set to `value`, capturing what the process writes on stderr. */
async function withWasmOpt<T> (value: string, work: () => Promise<T>): Promise<{ result: T, stderr: string }> {
  const saved = process.env[WASM_OPT_ENV]
  const write = process.stderr.write.bind(process.stderr)
  let stderr = ''
  process.env[WASM_OPT_ENV] = value
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true }) as typeof process.stderr.write
  try {
    return { result: await work(), stderr }
  } finally {
    process.stderr.write = write
    if (saved === undefined) delete process.env[WASM_OPT_ENV]
    else process.env[WASM_OPT_ENV] = saved
  }
}

describe('proc: choosing wasm-opt or binaryen.js', function () {
  this.timeout(300_000)
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'ww-wasm-opt-')) })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('takes a wasm-opt only if it runs and is new enough, and says why not', async () => {
    const found = await probeWasmOpt('wasm-opt')
    assert.ok(typeof found !== 'string', `${String(found)}: install Debian package binaryen (make deps)`)
    assert.ok(found.version >= MIN_WASM_OPT_VERSION)
    assert.match(String(await probeWasmOpt(join(dir, 'missing'))), /missing not found/)
    const old = fakeWasmOpt(dir, 'old', 'echo "wasm-opt version 90"')
    assert.equal(await probeWasmOpt(old), `${old} is version 90; ww needs ${MIN_WASM_OPT_VERSION} or newer`)
    const mute = fakeWasmOpt(dir, 'mute', 'exit 0')
    assert.match(String(await probeWasmOpt(mute)), /printed no version/)
  })

  it('without a usable wasm-opt prepares with binaryen.js, and says so once on stderr', async () => {
    const before = preparedBy.binaryenJs
    const { result, stderr } = await withWasmOpt(join(dir, 'missing'), async () => {
      const a = await transformInWorker(guest('idle'))
      const b = await transformInWorker(guest('idle'))
      return [a, b]
    })
    assert.ok(result.every(bytes => WebAssembly.validate(bytes as BufferSource)))
    assert.equal(preparedBy.binaryenJs - before, 2)
    const lines = stderr.split('\n').filter(l => l !== '')
    assert.equal(lines.length, 1, stderr)
    assert.match(lines[0], /^ww: .*missing not found; preparing modules with binaryen\.js.*install Debian package binaryen/)
  })

  it('prepares a module wasm-opt fails on with binaryen.js instead', async () => {
    const failing = fakeWasmOpt(dir, 'failing', `case "$1" in --version) echo "wasm-opt version ${MIN_WASM_OPT_VERSION}";; *) echo "[wasm-validator error] boom" >&2; exit 1;; esac`)
    const before = { ...preparedBy }
    const { result } = await withWasmOpt(failing, async () => await transformInWorker(guest('idle')))
    assert.ok(WebAssembly.validate(result as BufferSource))
    assert.equal(preparedBy.binaryenJs - before.binaryenJs, 1)
    assert.equal(preparedBy.wasmOpt, before.wasmOpt)
  })

  it('a preparation started ahead (while the module is fetched) prepares the next module, with either back end', async () => {
    for (const [value, backend] of [['wasm-opt', 'wasmOpt'], ['none', 'binaryenJs']] as const) {
      const before = preparedBy[backend]
      await withWasmOpt(value, async () => {
        prewarmTransform()
        await new Promise(resolve => setTimeout(resolve, 200))
        assert.ok(WebAssembly.validate(await transformInWorker(guest('idle')) as BufferSource))
      })
      assert.equal(preparedBy[backend] - before, 1)
    }
  })

  it('refuses bytes that are not a module with the same error on both back ends', async () => {
    for (const value of ['wasm-opt', 'none']) {
      await withWasmOpt(value, async () => {
        await assert.rejects(transformInWorker(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99])), { name: 'InvalidArgument', message: 'not a valid WebAssembly module' })
      })
    }
  })
})
