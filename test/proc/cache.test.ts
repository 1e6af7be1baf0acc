import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ModuleCache, hashHex, sha256 } from '../../src/proc/index.js'
import type { Executor } from '../../src/proc/index.js'
import { guest, node, until } from './helpers.js'

// the smallest test guest (the transform takes seconds per 100 KB): runs until it blocks in recv
const SMALL = 'idle'

async function runSmall (executor: Executor): Promise<boolean> {
  const p = await executor.spawn({ module: { bytes: guest(SMALL) } })
  await until(() => p.suspensions > 0 || p.state === 'exited', 60_000, 'the guest to block')
  const ran = p.state === 'running'
  p.kill()
  return ran && (await p.wait()).reason === 'killed'
}

describe('proc: module cache', function () {
  this.timeout(300_000)
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'ww-proc-cache-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('transforms once: the second spawn is a cache hit, in memory and then on disk', async () => {
    const cache = new ModuleCache({ dir })
    const { executor } = node(cache)
    assert.ok(await runSmall(executor))
    assert.equal(cache.stats.transforms, 1)
    const hits = cache.stats.memoryHits
    assert.ok(await runSmall(executor))
    assert.equal(cache.stats.transforms, 1)
    assert.ok(cache.stats.memoryHits > hits)
    const key = hashHex(sha256(guest(SMALL)))
    const files = (await readdir(dir)).filter(f => f !== 'seal.key').sort()
    assert.equal(files.length, 2)
    assert.match(files[0], new RegExp(`^${key}\\.v\\d+-[0-9a-f]{8}\\.ww$`))
    assert.equal(files[1], `${key}.wasm`)

    const again = new ModuleCache({ dir })
    assert.ok(await runSmall(node(again).executor))
    assert.equal(again.stats.transforms, 0)
    assert.equal(again.stats.diskHits, 1)
  })

  it('ignores a corrupt cache file and rebuilds it', async () => {
    const bytes = guest(SMALL)
    await new ModuleCache({ dir }).add(bytes)
    const file = join(dir, (await readdir(dir)).find(f => f.endsWith('.ww')) ?? 'missing')
    const good = await readFile(file)
    const bad = Buffer.from(good)
    bad[bad.length - 10] ^= 0xff
    await writeFile(file, bad)
    const cache = new ModuleCache({ dir })
    assert.ok(await runSmall(node(cache).executor))
    assert.equal(cache.stats.transforms, 1)
    assert.deepEqual(await readFile(file), good)
  })

  it('refuses a transformed file swapped in from another module, or resealed without its key, and prepares the module again', async () => {
    const small = guest(SMALL)
    const other = guest('hello')
    await new ModuleCache({ dir }).add(small)
    await new ModuleCache({ dir }).add(other)
    const pipeline = ((await readdir(dir)).find(f => f.endsWith('.ww')) ?? '').split('.')[1]
    const name = (bytes: Uint8Array): string => join(dir, `${hashHex(sha256(bytes))}.${pipeline}.ww`)
    const good = await readFile(name(small))
    await writeFile(name(small), await readFile(name(other))) // a valid file, of another module
    const swapped = new ModuleCache({ dir })
    assert.ok(await runSmall(node(swapped).executor), 'the module it asked for ran')
    assert.equal(swapped.stats.transforms, 1)
    assert.equal(swapped.stats.diskHits, 0)
    assert.deepEqual(await readFile(name(small)), good)
    // Resealed by someone without the key (here: a fresh one): refused as well.
    await rm(join(dir, 'seal.key'))
    const rekeyed = new ModuleCache({ dir })
    assert.ok(await runSmall(node(rekeyed).executor))
    assert.equal(rekeyed.stats.transforms, 1)
  })

  it('serves the original bytes of a module it holds (for hosts that lack it)', async () => {
    const cache = new ModuleCache({ dir })
    const bytes = guest(SMALL)
    const hash = await cache.add(bytes)
    assert.deepEqual(await cache.original(hash), bytes)
    assert.equal(await cache.original(sha256(new Uint8Array([1]))), undefined)
  })
})
