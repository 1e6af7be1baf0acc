// README.md's examples, run as written: every ```sh block, top to bottom, in one bash, from the
// repository's root, with `ww` on PATH as `make install` puts it. The blocks are read from README.md
// itself, so the README and this test cannot drift apart.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readmeBlocks, homesNamedIn } from './readme-blocks.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const ww = `${root}bin/ww`

/** Ends whatever node the README started (a failed run leaves them up) and removes their homes. */
function cleanUp (homes: string[]): void {
  for (const home of homes) {
    spawnSync(ww, ['stop', '--home', home], { timeout: 10_000 })
    try {
      const pid = Number(readFileSync(`${home}/ww.pid`, 'utf8'))
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGKILL')
    } catch {}
    rmSync(home, { recursive: true, force: true })
  }
}

describe('docs: README.md', function () {
  this.timeout(15 * 60_000) // the first run of each example guest prepares it (tens of seconds on a busy machine)
  const blocks = readmeBlocks(readFileSync(`${root}README.md`, 'utf8'))
  const homes = homesNamedIn(blocks)

  before(() => { cleanUp(homes) })
  after(() => { cleanUp(homes) })

  it('has runnable examples, and they name their homes', () => {
    assert.ok(blocks.length >= 3, `README.md has ${blocks.length} sh blocks`)
    assert.ok(homes.length >= 2, `homes named: ${homes.join(' ')}`)
  })

  it('shows the library example exactly as examples/library/quickstart.mjs has it (test/lib runs that file)', () => {
    const example = readFileSync(`${root}examples/library/quickstart.mjs`, 'utf8')
    assert.ok(readFileSync(`${root}README.md`, 'utf8').includes('```js\n' + example + '```\n'), 'README.md\'s js block differs from examples/library/quickstart.mjs')
  })

  it('its sh blocks run top to bottom as written and every command succeeds', async () => {
    // Each block is announced on stderr, so a failure says which block and command it was.
    const script = ['set -euo pipefail', ...blocks.map((b, i) => `echo "--- README block ${i + 1}" >&2\nset -x\n${b}\nset +x`)].join('\n')
    const child = spawn('bash', ['-c', script], {
      cwd: root,
      env: { ...process.env, PATH: `${root}bin:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    let err = ''
    child.stdout.on('data', d => { out += String(d) })
    child.stderr.on('data', d => { err += String(d) })
    const code = await new Promise<number | null>(resolve => child.on('close', resolve))
    assert.equal(code, 0, `README failed (exit ${code}):\n${err.split('\n').slice(-30).join('\n')}\nstdout:\n${out.split('\n').slice(-20).join('\n')}`)
    // What the comments promise.
    assert.match(out, /^hello$/m, 'the channel example receives hello')
    assert.match(out, /^ping: 100 round trips/m, 'ping got its 100 answers from echo')
    assert.match(out, /^echo: 2 live$/m, 'both replicas of the deployment published their endpoint')
    const answeredBy = new Set([...out.matchAll(/^(\S+)\/\d+ hi$/gm)].map(m => m[1]))
    assert.equal(answeredBy.size, 2, `the two sends to the endpoint were answered on both hosts:\n${out}`)
  })
})
