// src/rpc/index.ts is the public surface; the pieces only generated stubs use come from src/rpc/generated.ts, which
// hand-written code does not import.
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as generated from '../../src/rpc/generated.js'
import * as rpc from '../../src/rpc/index.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return e.name === 'gen' ? [] : sourceFiles(path)
    return e.name.endsWith('.ts') ? [path] : []
  })
}

describe('docs: the RPC layer\'s public surface', () => {
  const stubOnly = ['capField', 'serve']

  it('index.ts does not export what only generated stubs use; generated.ts does, with the public surface', () => {
    for (const name of [...stubOnly, 'setUnionTag']) assert.equal(name in rpc, false, `src/rpc/index.ts exports ${name}`)
    for (const name of stubOnly) assert.equal(typeof (generated as Record<string, unknown>)[name], 'function', `src/rpc/generated.ts lacks ${name}`)
    for (const name of Object.keys(rpc)) assert.ok(name in generated, `src/rpc/generated.ts lacks ${name}`)
  })

  it('only generated code imports rpc/generated.js', () => {
    const wrong: string[] = []
    for (const dir of ['src', 'cmd', 'lib', 'ui', 'test']) {
      for (const file of sourceFiles(join(root, dir))) {
        const rel = relative(root, file)
        if (rel.startsWith('src/schema/') || rel === 'test/docs/rpc-surface.test.ts') continue
        if (/from\s+'[^']*rpc\/generated\.js'/.test(readFileSync(file, 'utf8'))) wrong.push(rel)
      }
    }
    assert.deepEqual(wrong, [])
  })
})
