import assert from 'node:assert/strict'
import { parsePath, formatPath } from '../../src/anchor/path.js'
import { InvalidArgument, LimitExceeded } from '../../src/errors.js'

describe('anchor: paths', () => {
  const good: Array<[string, string[]]> = [
    ['', []],
    ['/', []],
    ['a', ['a']],
    ['/a', ['a']],
    ['a/b/c', ['a', 'b', 'c']],
    ['/12D3KooWAbc/mailbox', ['12D3KooWAbc', 'mailbox']],
    ['...', ['...']],
    ['.a/..b/a..', ['.a', '..b', 'a..']],
    ['!~#$%&()*+,-:;<=>?@[\\]^_`{|}', ['!~#$%&()*+,-:;<=>?@[\\]^_`{|}']],
    ['x'.repeat(255), ['x'.repeat(255)]]
  ]
  for (const [path, parts] of good) {
    it(`accepts ${JSON.stringify(path.length > 40 ? path.slice(0, 10) + '...' : path)}`, () => {
      assert.deepEqual(parsePath(path), parts)
    })
  }

  // [path, error type, a fragment the message must contain (the bad part)]
  const bad: Array<[string, typeof InvalidArgument | typeof LimitExceeded, string]> = [
    ['a//b', InvalidArgument, 'component 2 is empty'],
    ['a/b/', InvalidArgument, 'component 3 is empty'],
    ['//', InvalidArgument, 'component 1 is empty'],
    ['a/./b', InvalidArgument, 'component 2 "."'],
    ['..', InvalidArgument, 'component 1 ".."'],
    ['/a/../../etc', InvalidArgument, 'component 2 ".."'],
    ['a b', InvalidArgument, 'character 0x20 at offset 1'],
    ['ok/tab\there', InvalidArgument, 'component 2 "tab\\there": character 0x09 at offset 3'],
    ['caf\u00e9', InvalidArgument, 'character 0xe9 at offset 3'],
    ['nul\u0000', InvalidArgument, 'character 0x00'],
    ['del\u007f', InvalidArgument, 'character 0x7f'],
    ['x'.repeat(256), LimitExceeded, 'maxComponentLength 255'],
    [Array(65).fill('d').join('/'), LimitExceeded, 'more than maxDepth 64'],
    ['/' + 'a/'.repeat(3000), LimitExceeded, 'maxPathLength 4096']
  ]
  for (const [path, Type, fragment] of bad) {
    it(`rejects ${JSON.stringify(path.length > 40 ? path.slice(0, 10) + '...' : path)} with ${Type.name} naming the bad part`, () => {
      assert.throws(() => parsePath(path), (err: unknown) => {
        assert.ok(err instanceof Type, `expected ${Type.name}, got ${String(err)}`)
        assert.ok(err.message.includes(fragment), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(fragment)}`)
        return true
      })
    })
  }

  it('honours custom limits', () => {
    assert.throws(() => parsePath('a/b/c', { maxDepth: 2 }), LimitExceeded)
    assert.throws(() => parsePath('abcd', { maxComponentLength: 3 }), LimitExceeded)
    assert.deepEqual(parsePath('a/b', { maxDepth: 2 }), ['a', 'b'])
  })

  it('formats components back into a canonical path', () => {
    assert.equal(formatPath([]), '/')
    assert.equal(formatPath(parsePath('a/b')), '/a/b')
  })
})
