// The layers as documented against the code: ARCHITECTURE.md's layer table (bottom up) and each src/ folder's
// README ("Place in the layers": what it is, what it is built on, what it must not import), checked against the
// imports of every source file. The documents are read as they are, so they cannot drift from the code unnoticed.
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/** The layer folders in the order of ARCHITECTURE.md's table (bottom up): transport, rpc, ..., cmd. */
function tableOrder (): string[] {
  const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8')
  const section = doc.slice(doc.indexOf('## Layers'), doc.indexOf('\n## ', doc.indexOf('## Layers') + 1))
  return [...section.matchAll(/^\| \[?`([a-z]+)\/`/gm)].map(m => m[1])
}

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return e.name.endsWith('.ts') ? [path] : []
  })
}

/** What a file imports: project folders as "x/" (src/x or cmd), src's own files as "errors.ts", packages by name. */
function importsOf (file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs = [...text.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)]
    .map(m => m[1] ?? m[2] ?? m[3])
  return specs.map(spec => {
    if (!spec.startsWith('.')) return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]
    const path = relative(root, resolve(dirname(file), spec)).split('/')
    if (path[0] === 'src') return path.length === 2 ? path[1].replace(/\.js$/, '.ts') : `${path[1]}/`
    return `${path[0]}/`
  })
}

/** The backticked names of one "- **Label:** ..." item of a README's "Place in the layers" section. */
function listed (readme: string, label: string): string[] | undefined {
  const section = readme.slice(readme.indexOf('## Place in the layers'))
  const m = new RegExp(`^- \\*\\*${label}:\\*\\*([\\s\\S]*?)(?=^- |^$|^#)`, 'm').exec(section)
  return m === null ? undefined : [...m[1].matchAll(/`([^`]+)`/g)].map(x => x[1])
}

function forbids (token: string, imported: string): boolean {
  if (token.endsWith('/*')) return imported.startsWith(token.slice(0, -1))
  return imported === token
}

describe('docs: the layers as documented match the imports', () => {
  const order = tableOrder()
  const folders = readdirSync(join(root, 'src'), { withFileTypes: true }).filter(e => e.isDirectory()).map(e => e.name)

  it('the table lists every src/ folder once, transport below rpc, cmd on top', () => {
    assert.deepEqual(order.filter(l => !folders.includes(l)), ['cmd'], `layers in the table: ${order.join(', ')}`)
    for (const f of folders) assert.equal(order.filter(l => l === f).length, 1, `src/${f} is not in ARCHITECTURE.md's layer table (once)`)
    assert.ok(order.indexOf('transport') < order.indexOf('rpc'), 'transport sits below rpc')
  })

  it('no file imports a layer above its own', () => {
    const wrong: string[] = []
    for (const layer of order) {
      const dir = join(root, layer === 'cmd' ? 'cmd' : join('src', layer))
      for (const file of sourceFiles(dir)) {
        for (const imp of importsOf(file)) {
          const target = order.indexOf(imp.replace(/\/$/, ''))
          if (imp.endsWith('/') && target > order.indexOf(layer)) wrong.push(`${relative(root, file)} imports ${imp}`)
        }
      }
    }
    assert.deepEqual(wrong, [])
  })

  for (const folder of folders) {
    it(`src/${folder}/README.md says what it is, what it is built on and what it must not import, and the code agrees`, () => {
      const path = join(root, 'src', folder, 'README.md')
      assert.ok(existsSync(path), `src/${folder} has no README.md`)
      const readme = readFileSync(path, 'utf8')
      assert.ok(readme.includes('\n## Place in the layers\n'), `src/${folder}/README.md has no "Place in the layers" section`)
      assert.ok(listed(readme, 'What it is') !== undefined, `src/${folder}/README.md: no "What it is" item`)
      const builtOn = listed(readme, 'Built on')
      const mustNot = listed(readme, 'Must not import')
      assert.ok(builtOn !== undefined && mustNot !== undefined, `src/${folder}/README.md: no "Built on" or "Must not import" item`)
      const imports = new Set(sourceFiles(join(root, 'src', folder)).flatMap(importsOf))
      const undocumented = [...imports].filter(i => i.endsWith('/') && i !== `${folder}/` && !builtOn.includes(i))
      assert.deepEqual(undocumented, [], `src/${folder} imports layers its README does not name under "Built on"`)
      const forbidden = [...imports].filter(i => mustNot.some(t => forbids(t, i)))
      assert.deepEqual(forbidden, [], `src/${folder} imports what its README says it must not`)
    })
  }
})

// DESIGN.md: "domain folders (csp, anchor, cluster, proc) stay free of Cap'n Proto; host/ composes". Stated here, not
// read from a README, so that loosening a README cannot loosen the rule.
describe('docs: the domain folders know no Cap\'n Proto', () => {
  const domains = ['csp', 'anchor', 'cluster', 'proc']
  const capnp = ['schema/', 'rpc/', 'transport/', 'caps/', 'capnp-es']

  for (const folder of domains) {
    it(`src/${folder} imports none of ${capnp.join(', ')}`, () => {
      const wrong = sourceFiles(join(root, 'src', folder)).flatMap(file =>
        importsOf(file).filter(i => capnp.includes(i)).map(i => `${relative(root, file)} imports ${i}`))
      assert.deepEqual(wrong, [])
    })
  }
})
