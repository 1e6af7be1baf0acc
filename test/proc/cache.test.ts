import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, stat, utimes, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ModuleCache, hashHex, sha256 } from '../../src/proc/index.js'
import type { Executor } from '../../src/proc/index.js'
import { guest, node, until } from './helpers.js'

/** `wasm` with a custom section appended: another module (another hash) that runs the same. */
function variant (wasm: Uint8Array, n: number): Uint8Array {
  const body = Buffer.concat([Buffer.from([7]), Buffer.from('ww-test'), Buffer.from(`variant ${n}`)])
  return new Uint8Array(Buffer.concat([wasm, Buffer.from([0, body.length]), body]))
}

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

  it('keeps its files within moduleCacheBytes: least recently used modules go first (also those an earlier run left), never a pinned one', async () => {
    const v = [0, 1, 2, 3, 4].map(i => variant(guest('hello-as'), i))
    const keys = v.map(b => hashHex(sha256(b)))
    const big = new ModuleCache({ dir })
    for (const b of v.slice(0, 3)) await big.add(b)
    const one = (await big.diskBytes()) / 3
    // an earlier run's recency is the files' modification times: v0 oldest
    for (const [i, key] of keys.slice(0, 3).entries()) {
      const t = new Date(Date.now() - (10 - i) * 60_000)
      for (const f of (await readdir(dir)).filter(f => f.startsWith(key))) await utimes(join(dir, f), t, t)
    }
    const budget = Math.floor(2.5 * one)
    const small = new ModuleCache({ dir, limits: { moduleCacheBytes: budget } })
    const held = async (): Promise<string[]> => (await readdir(dir)).filter(f => f.endsWith('.wasm')).map(f => f.slice(0, 64))
    const onDisk = async (): Promise<number> => {
      let sum = 0
      for (const f of (await readdir(dir)).filter(f => /^[0-9a-f]{64}\./.test(f))) sum += (await stat(join(dir, f))).size
      return sum
    }
    await small.add(v[3])
    assert.deepEqual((await held()).sort(), [keys[2], keys[3]].sort())
    assert.equal(await onDisk(), await small.diskBytes())
    assert.ok(await onDisk() <= budget)
    // v2 pinned (a proc runs it), then v3 used: v2 is the least recently used, but v3 goes instead
    small.pin(sha256(v[2]))
    await small.add(v[3])
    await small.add(v[4])
    assert.deepEqual((await held()).sort(), [keys[2], keys[4]].sort())
    assert.ok(await onDisk() <= budget)
  })

  it('serves the original bytes of a module it holds (for hosts that lack it)', async () => {
    const cache = new ModuleCache({ dir })
    const bytes = guest(SMALL)
    const hash = await cache.add(bytes)
    assert.deepEqual(await cache.original(hash), bytes)
    assert.equal(await cache.original(sha256(new Uint8Array([1]))), undefined)
  })
})
