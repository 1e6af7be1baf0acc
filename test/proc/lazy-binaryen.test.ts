// binaryen (~1 s and ~45 MB to load) belongs to the transform worker only: a node that never transforms a module
// never loads it, and one that does loads it in the worker.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually, tempHome, wwAsync, wwBin } from '../host/cli-node.js'

const dist = fileURLToPath(new URL('../../', import.meta.url))
const guestFile = (name: string): string => fileURLToPath(new URL(`../../../guest/build/${name}.wasm`, import.meta.url))

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

  it('`ww start` (bin/ww: the bundled node after make build) serves and runs a guest without loading binaryen itself', async () => {
    const home = tempHome()
    const hooked = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}))`
    const node = spawn(wwBin, ['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(hooked)}` }
    })
    let out = ''
    node.stdout.on('data', d => { out += String(d) })
    try {
      await eventually(() => /^peer /m.test(out), 60_000, 'the node to start')
      // The first run of a module transforms it, in the worker (hooks do not reach worker threads).
      const r = await wwAsync(['run', guestFile('hello'), '--home', home, '--', 'x'])
      assert.equal(r.status, 7, r.stderr)
      assert.doesNotMatch(out, /binaryen loaded/)
    } finally {
      node.kill('SIGKILL')
      rmSync(home, { recursive: true, force: true })
    }
  })

  it('loading the node\'s modules (dist/src/host/node.js, what `ww start` runs after a plain tsc) does not load binaryen', () => {
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
