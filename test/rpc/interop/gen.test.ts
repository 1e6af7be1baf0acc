// The committed TypeScript for interop.capnp (gen/) is what the generators produce today.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from './cpp-peers.js'

describe('rpc interop: generated code', function () {
  this.timeout(60_000)

  it('test/rpc/interop/gen is up to date (regenerate with the command in interop.capnp)', async () => {
    const root = repoRoot()
    const out = mkdtempSync(join(tmpdir(), 'ww-interop-gen-'))
    try {
      await promisify(execFile)(join(root, 'tools', 'gen-schema.sh'), [out, 'test/rpc/interop', '../../../../src/rpc/generated.js'], { cwd: root })
      const committed = join(root, 'test', 'rpc', 'interop', 'gen')
      assert.deepEqual(readdirSync(out).sort(), readdirSync(committed).sort())
      for (const f of readdirSync(out)) {
        assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(committed, f))), `gen/${f} is stale`)
      }
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})
