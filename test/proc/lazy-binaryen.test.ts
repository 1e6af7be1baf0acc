// binaryen (~1 s and ~45 MB to load) belongs to the transform worker only: a node that never transforms a module
// never loads it, and one that does loads it in the worker.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../../', import.meta.url))

// Reports, from node's module loader, every module resolved into the binaryen package (worker threads included).
const hooks = `export async function resolve (specifier, context, next) {
  const r = await next(specifier, context)
  if (r.url.includes('/node_modules/binaryen/')) console.log('binaryen loaded')
  return r
}`

// (memory 1) (func (export "_start") (loop (br 0)))
const bare = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1,
  7, 10, 1, 6, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0, 0, 10, 9, 1, 7, 0, 3, 0x40, 0x0c, 0, 0x0b, 0x0b]

function runScript (body: string): string {
  const script = `import { register } from 'node:module'
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}))
await import(${JSON.stringify(`${dist}src/polyfill.js`)})
await import(${JSON.stringify(`${dist}src/host/node.js`)})
console.log('node loaded')
${body}`
  // A file, not -e: the worker thread inherits node's options, and --input-type is only for -e.
  const dir = mkdtempSync(join(tmpdir(), 'ww-lazy-'))
  try {
    writeFileSync(join(dir, 'run.mjs'), script)
    const r = spawnSync(process.execPath, [join(dir, 'run.mjs')], { encoding: 'utf8', timeout: 120_000 })
    assert.equal(r.status, 0, r.stderr)
    return r.stdout
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('proc: binaryen loads on first use', function () {
  this.timeout(120_000)

  it('loading the node (host/node.js, everything `ww start` runs) does not load binaryen', () => {
    const out = runScript('')
    assert.match(out, /node loaded/)
    assert.doesNotMatch(out, /binaryen loaded/)
  })

  it('the first transform loads it in its worker, and transforms', () => {
    const out = runScript(`const { transformInWorker } = await import(${JSON.stringify(`${dist}src/proc/transform-worker.js`)})
const bytes = await transformInWorker(new Uint8Array(${JSON.stringify(bare)}))
console.log('transformed', new WebAssembly.Module(bytes).constructor.name)
process.exit(0)`)
    assert.match(out, /node loaded\n(.|\n)*transformed Module/)
  })
})
