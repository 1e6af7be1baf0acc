// The policy file's TOML subset and how grants combine with the defaults.
import assert from 'node:assert/strict'
import { InvalidArgument } from '../../src/errors.js'
import { parsePolicy } from '../../src/host/policy-file.js'
import { Policy, formatRights, parseGrant } from '../../src/host/policy.js'
import { ModuleRules } from '../../src/host/module-rules.js'

const rightsOf = (policy: Policy, peer: string): string => formatRights(policy.rightsOf(peer))

describe('host: the policy file and --grant', () => {
  it('defaults: all rights in a private cluster, read in an open one', () => {
    assert.equal(rightsOf(Policy.defaults(true), 'P'), 'read,write,exec')
    assert.equal(rightsOf(Policy.defaults(false), 'P'), 'read')
  })

  it('members and per-peer lines, comments, quoted keys; a peer line replaces the members one', () => {
    const { grants } = parsePolicy([
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

  it('module rules: allow-modules and allow-signers for the members, [modules.PEER] replacing them; a module passes on either list', () => {
    const h1 = 'ab'.repeat(32)
    const h2 = 'cd'.repeat(32)
    const k1 = `ed25519:${'11'.repeat(32)}`
    const k2 = `ed25519:${'22'.repeat(32)}`
    const { modules } = parsePolicy([
      'members = ["read", "exec"]',
      `allow-modules = ["${h1.toUpperCase()}"]  # hex in either case`,
      `allow-signers = ["${k1}"]`,
      '[modules.12D3KooWA]',
      `allow-signers = ["${k2}"]`,
      '[modules."12D3KooWB"]  # neither key: any module'
    ].join('\n'), 'p.toml')
    const policy = Policy.defaults(false).withModules(modules)
    const m = policy.modulesOf('other')
    assert.equal(m.refusal(h1, [], 0), undefined)
    assert.equal(m.refusal(h2, [k1], 0), undefined)
    assert.equal(m.refusal(h2, [], 0), 'it is not on the list of allowed modules, and it carries no valid signature by an allowed signer (it carries none)')
    assert.equal(m.refusal(h2, [k2], 1), `it is not on the list of allowed modules, and it carries no valid signature by an allowed signer (1 signature did not verify; signed only by ${k2})`)
    const a = policy.modulesOf('12D3KooWA')
    assert.equal(a.refusal(h1, [], 0), 'it carries no valid signature by an allowed signer (it carries none)')
    assert.equal(a.refusal(h1, [k2], 0), undefined)
    assert.equal(policy.modulesOf('12D3KooWB').restricted, false)
    // the default: any module; --allow-module / --allow-signer add to the members' lists
    assert.equal(Policy.defaults(true).modulesOf('x').restricted, false)
    const flagged = ModuleRules.ANY.allowing([h2], [])
    assert.equal(flagged.refusal(h2, [], 0), undefined)
    assert.equal(flagged.refusal(h1, [k1], 0), 'it is not on the list of allowed modules')
  })

  it('anything else is an InvalidArgument naming the file and line', () => {
    const bad: Array<[string, RegExp]> = [
      ['members = "read"', /^p\.toml:1: expected key = \["string", \.\.\.\]/],
      ['[groups]', /^p\.toml:1: unknown table \[groups\]: the tables are \[peers\] and \[modules\.PEER\]/],
      ['members = [read]', /^p\.toml:1: the values are quoted strings/],
      ['allow-modules = ["abc"]', /^p\.toml:1: a module is named by its SHA-256, 64 hex digits/],
      ['allow-signers = ["12D3KooW"]', /^p\.toml:1: a signer is ed25519: and 64 hex digits/],
      ['[peers]\nallow-signers = []', /^p\.toml:2: a peer's module rules go under \[modules\.PEER\]/],
      ['[modules.P]\nmembers = ["read"]', /^p\.toml:2: unknown key "members": \[modules\.PEER\] takes allow-modules and allow-signers/],
      ['[modules.P]\n[modules.P]', /^p\.toml:2: \[modules\.P\] is given twice/],
      ['allow-modules = []\nallow-modules = []', /^p\.toml:2: allow-modules is given twice/],
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
