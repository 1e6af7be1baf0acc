import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { EXIT, NoNode, UsageError, exitCodeOf } from '../../cmd/exit-codes.js'
import {
  AlreadyExists, Closed, Disconnected, InvalidArgument, ModuleNotFound, NotFound, Occupied, PermissionDenied, Timeout, WwError, errorFromReason, reasonOf
} from '../../src/errors.js'

const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8')

describe('cli: exit codes', () => {
  it('each kind of error has its code, also after crossing RPC as a reason', () => {
    const cases: Array<[Error, number]> = [
      [new InvalidArgument('x'), EXIT.usage],
      [new UsageError('x'), EXIT.usage],
      [new NotFound('x'), EXIT.notFound],
      [new ModuleNotFound('x'), EXIT.notFound],
      [new PermissionDenied('x'), EXIT.permission],
      [new Occupied('x'), EXIT.exists],
      [new AlreadyExists('x'), EXIT.exists],
      [new NoNode('x'), EXIT.unavailable],
      [new Disconnected('x'), EXIT.unavailable],
      [new Timeout('x'), EXIT.timeout],
      [new Closed('x'), EXIT.failed],
      [new Error('x'), EXIT.failed],
      [Object.assign(new Error('x'), { code: 'ENOENT' }), EXIT.notFound],
      [Object.assign(new Error('x'), { code: 'EACCES' }), EXIT.permission]
    ]
    for (const [err, code] of cases) {
      assert.equal(exitCodeOf(err), code, `${err.name}`)
      if (!(err instanceof WwError) || err instanceof NoNode || err instanceof UsageError) continue // these never cross RPC
      assert.equal(exitCodeOf(errorFromReason(reasonOf(err))), code, `${err.name} after RPC`)
    }
  })

  it('README.md documents every code of the table', () => {
    const section = /## Exit codes\n([\s\S]*?)\n## /.exec(readme)
    assert.ok(section !== null, 'README.md has an "Exit codes" section')
    const documented = new Set([...section[1].matchAll(/^\| `?(\d+)`? \|/gm)].map(m => Number(m[1])))
    for (const [name, code] of Object.entries(EXIT)) assert.ok(documented.has(code), `README.md's exit codes lack ${code} (${name})`)
  })
})
