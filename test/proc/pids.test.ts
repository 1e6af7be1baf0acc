// Pids from a file: never reused across restarts of the same home, even after a crash.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidArgument } from '../../src/errors.js'
import { FilePids } from '../../src/proc/pids.js'

describe('proc: FilePids', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ww-pids-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('starts at 1 and reserves a block on disk before handing out any pid of it', () => {
    const file = join(dir, 'pids')
    const pids = new FilePids(file, 4)
    assert.equal(pids.next(), 1)
    assert.equal(readFileSync(file, 'utf8'), '5\n')
    assert.deepEqual([pids.next(), pids.next(), pids.next()], [2, 3, 4])
    assert.equal(pids.next(), 5)
    assert.equal(readFileSync(file, 'utf8'), '9\n')
  })

  it('a restart (or a crash) goes on past every pid the last run could have handed out', () => {
    const file = join(dir, 'pids')
    const first = new FilePids(file, 100)
    const seen = [first.next(), first.next()]
    const second = new FilePids(file, 100) // the first "crashed" without a word
    const next = second.next()
    assert.ok(next > Math.max(...seen) && next === 101, `got ${next}`)
    assert.equal(new FilePids(file, 100).next(), 201, 'a restart that spawned nothing before still skips the block')
  })

  it('a file that does not hold a number is an error naming it', () => {
    const file = join(dir, 'pids')
    writeFileSync(file, 'garbage')
    assert.throws(() => new FilePids(file, 10), (err: Error) => err instanceof InvalidArgument && err.message.includes(file))
  })
})
