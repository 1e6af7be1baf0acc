// The policy file's TOML subset and how grants combine with the defaults.
import assert from 'node:assert/strict'
import { InvalidArgument } from '../../src/errors.js'
import { parsePolicy } from '../../src/host/policy-file.js'
import { Policy, formatRights, parseGrant } from '../../src/host/policy.js'

const rightsOf = (policy: Policy, peer: string): string => formatRights(policy.rightsOf(peer))

describe('host: the policy file and --grant', () => {
  it('defaults: all rights in a private cluster, read in an open one', () => {
    assert.equal(rightsOf(Policy.defaults(true), 'P'), 'read,write,exec')
    assert.equal(rightsOf(Policy.defaults(false), 'P'), 'read')
  })

  it('members and per-peer lines, comments, quoted keys; a peer line replaces the members one', () => {
    const grants = parsePolicy([
      '# who may do what',
      'members = [ "read", "write" ]   # everyone',
      '',
      '[peers]',
      '"12D3KooWA#" = ["exec"]',
      '12D3KooWB = []',
      '12D3KooWC = ["read", "exec",]'
    ].join('\n'), 'p.toml')
    const policy = Policy.defaults(false).with(grants)
    assert.equal(rightsOf(policy, 'other'), 'read,write')
    assert.equal(rightsOf(policy, '12D3KooWA#'), 'exec')
    assert.equal(rightsOf(policy, '12D3KooWB'), 'none')
    assert.equal(rightsOf(policy, '12D3KooWC'), 'read,exec')
    // --grant goes on top of the file.
    const flagged = policy.with(new Map([parseGrant('12D3KooWB=read'), parseGrant('members=none')]))
    assert.equal(rightsOf(flagged, '12D3KooWB'), 'read')
    assert.equal(rightsOf(flagged, 'other'), 'none')
  })

  it('anything else is an InvalidArgument naming the file and line', () => {
    const bad: Array<[string, RegExp]> = [
      ['members = "read"', /^p\.toml:1: expected key = \["right", \.\.\.\]/],
      ['[groups]', /^p\.toml:1: unknown table \[groups\]/],
      ['members = [read]', /^p\.toml:1: rights are quoted strings/],
      ['members = ["root"]', /^p\.toml:1: unknown right "root"/],
      ['\n[peers]\nX = ["read"]\nX = ["exec"]', /^p\.toml:4: "X" is granted twice/],
      ['X = ["read"]', /^p\.toml:1: unknown key "X": put peers under \[peers\]/]
    ]
    for (const [text, message] of bad) {
      assert.throws(() => parsePolicy(text, 'p.toml'), (err: Error) => err instanceof InvalidArgument && message.test(err.message), text)
    }
    assert.throws(() => parseGrant('=read'), InvalidArgument)
    assert.throws(() => parseGrant('P=read,sudo'), /unknown right "sudo"/)
  })
})
