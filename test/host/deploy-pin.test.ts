// A deployment pins its module in the deploying host's cache (hosts that lack it fetch it from there), and unpins it
// once no kept deployment runs it, so the cache may evict it again: on one real node with a small --max-module-cache.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { versionText } from '../../cmd/version-text.js'
import { guest } from './cli-procs.js'
import { CliNode, ok, tempHome, wwAsync } from './cli-node.js'

const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** `wasm` with a custom section appended: another module (another hash) that runs the same. */
function variant (wasm: Uint8Array, n: number): Buffer {
  const body = Buffer.concat([Buffer.from([7]), Buffer.from('ww-test'), Buffer.from(`pin ${n}`)])
  return Buffer.concat([wasm, Buffer.from([0, body.length]), body])
}

describe('a deployment\'s module in the cache', function () {
  this.timeout(120_000)
  let node: CliNode
  before(async () => { node = await CliNode.start(tempHome(), '--max-module-cache', '64k') })
  after(async () => { await node.stop(); node.cleanup() })

  const files = (hash: string): string[] => readdirSync(join(node.home, 'modules')).filter(f => f.startsWith(hash))
  const dir = tempHome()
  const hello = readFileSync(guest('hello-as'))
  /** Runs modules `from`..`to`-1 (other variants), each once: enough to push an unpinned older module out of 64k. */
  async function churn (from: number, to: number): Promise<void> {
    for (let i = from; i < to; i++) {
      const file = join(dir, `churn${i}.wasm`)
      writeFileSync(file, variant(hello, i))
      const r = await wwAsync(['run', '--home', node.home, file])
      assert.equal(r.status, 7, r.stderr)
    }
  }

  it('keeps the module while deployed (even with 0 replicas), and lets the cache evict it after undeploy', async () => {
    const file = join(dir, 'kept.wasm')
    writeFileSync(file, variant(hello, 1000))
    const hash = hex(readFileSync(file))
    await ok(['deploy', 'kept', file, '--replicas', '0', '--home', node.home])
    await churn(0, 6)
    assert.ok(files(hash).length >= 1, 'the deployed module stays while the deployment is kept')
    assert.deepEqual(files(hex(variant(hello, 0))), [], 'an unpinned module of that age was evicted')

    await ok(['undeploy', 'kept', '--home', node.home])
    await churn(6, 12)
    assert.deepEqual(files(hash), [], 'the module of the undeployed deployment was evicted')
  })

  it('unpins the module a redeploy replaced, and keeps the new one (ww deploy --json keeps the exact version)', async () => {
    const first = join(dir, 'first.wasm')
    const second = join(dir, 'second.wasm')
    writeFileSync(first, variant(hello, 2000))
    writeFileSync(second, variant(hello, 2001))
    const made = JSON.parse(await ok(['deploy', 'swap', first, '--replicas', '0', '--json', '--home', node.home])) as { name: string, version: number }
    assert.equal(made.name, 'swap')
    const listed = JSON.parse(await ok(['deployments', '--json', '--home', node.home])) as Array<{ name: string, version: number }>
    assert.equal(listed.find(d => d.name === 'swap')?.version, made.version, '--json keeps the exact version')
    assert.match(await ok(['deployments', '--home', node.home]), new RegExp(`^swap\\s.*\\s${versionText(made.version).replace('.', '\\.')}\\s+0 replicas$`, 'm'))
    await ok(['deploy', 'swap', second, '--replicas', '0', '--home', node.home])
    await churn(20, 26)
    assert.deepEqual(files(hex(readFileSync(first))), [], 'the replaced module was evicted')
    assert.ok(files(hex(readFileSync(second))).length >= 1, 'the module the deployment runs now stays')
    await ok(['undeploy', 'swap', '--home', node.home])
  })
})
