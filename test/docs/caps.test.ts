// One home per capability: every interface of schema/*.capnp is served from the file src/caps/README.md names for
// it (src/caps/<interface>.ts, or the file of the interface it belongs with), and from nowhere else in src/.
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/** The top-level interfaces of the schema files (nested ones, a client's callbacks, are left out). */
function schemaInterfaces (): string[] {
  const dir = join(root, 'schema')
  return readdirSync(dir).filter(f => f.endsWith('.capnp'))
    .flatMap(f => [...readFileSync(join(dir, f), 'utf8').matchAll(/^interface (\w+)/gm)].map(m => m[1]))
}

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return e.name.endsWith('.ts') ? [path] : []
  })
}

const serves = (text: string, name: string): boolean => new RegExp(`\\b${name}Client\\.serve\\(`).test(text)
const kebab = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()

describe('docs: one home per capability (src/caps)', () => {
  const names = schemaInterfaces()
  const readme = readFileSync(join(root, 'src/caps/README.md'), 'utf8')
  const rows = readme.split('\n').filter(l => l.startsWith('| ')).map(l => l.split(' | '))

  it('finds the schema\'s interfaces', () => {
    for (const n of ['Host', 'Anchor', 'Chan', 'Executor', 'Proc', 'View', 'Router']) assert.ok(names.includes(n), `no interface ${n} in schema/`)
  })

  for (const name of names) {
    it(`${name}: served by the file src/caps/README.md names for it`, () => {
      const row = rows.find(r => r[0].includes(`\`${name}\``))
      assert.ok(row !== undefined, `src/caps/README.md has no row for ${name}`)
      const files = [...row[1].matchAll(/`([a-z-]+\.ts)`/g)].map(m => m[1])
      assert.ok(files.length > 0, `the row for ${name} names no file`)
      assert.ok(files.some(f => serves(readFileSync(join(root, 'src/caps', f), 'utf8'), name)), `none of ${files.join(', ')} serves ${name}`)
      if (files.includes(`${kebab(name)}.ts`)) assert.ok(serves(readFileSync(join(root, 'src/caps', `${kebab(name)}.ts`), 'utf8'), name), `src/caps/${kebab(name)}.ts does not serve ${name}`)
    })
  }

  it('no file of src/ outside caps/ (and the generated schema/) serves a schema interface', () => {
    const wrong: string[] = []
    for (const file of sourceFiles(join(root, 'src'))) {
      const rel = relative(root, file)
      if (rel.startsWith('src/caps/') || rel.startsWith('src/schema/')) continue
      const text = readFileSync(file, 'utf8')
      for (const name of names) if (serves(text, name)) wrong.push(`${rel} serves ${name}`)
    }
    assert.deepEqual(wrong, [])
  })
})
