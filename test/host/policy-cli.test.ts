// What a remote peer may do: the Host each connection gets is built from the node's policy.
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { guest } from './cli-procs.js'
import { CliNode, eventually, ok, tempHome, wwAsync, type CliResult } from './cli-node.js'

/** The command failed with exit 4 and one line naming the peer and the right it lacks. */
function lacks (r: CliResult, peer: string, right: string): void {
  assert.equal(r.status, 4, r.stderr)
  assert.match(r.stderr, new RegExp(`^ww: peer ${peer} lacks '${right}' on this host \\([^)]*\\): the host's owner can grant it in the node's policy\\n$`))
}

describe('host: what a remote peer may do (policy)', function () {
  this.timeout(300_000)
  const nodes: CliNode[] = []
  after(() => { for (const n of nodes) n.cleanup() })

  async function joined (a: CliNode, b: CliNode): Promise<void> {
    await eventually(async () => (await a.ls()).includes(b.peer) && (await b.ls()).includes(a.peer), 60_000, 'both hosts')
  }

  it('in an open cluster a remote peer may ls and load but not store, recv, send, rm, mkchan or run; granting exec in policy.toml lets it run, with its own rights', async () => {
    let a = await CliNode.startWithPolicy(tempHome())
    const b = await CliNode.startWithPolicy(tempHome(), '--bootstrap', a.addrs[0])
    nodes.push(a, b)
    await joined(a, b)
    assert.match(a.stderr, /^ww: policy: members read$/m)

    // The owner (A's API socket) may do everything on A.
    await ok(['store', '/peer/note', '--bytes', 'hello', '--home', a.home])
    await ok(['mkchan', '/peer/box', '--cap', '4', '--home', a.home])
    await ok(['send', '/peer/box', 'hi', '--home', a.home])

    const onA = (path: string): string => `/${a.peer}/${path}`
    const fromB = async (...args: string[]): Promise<CliResult> => await wwAsync([...args, '--home', b.home])
    assert.equal(await ok(['ls', `/${a.peer}`, '--home', b.home]), 'box\tchan\nnote\tbytes\n')
    assert.equal(await ok(['load', onA('note'), '--home', b.home]), 'hello')

    lacks(await fromB('store', onA('x'), '--bytes', 'v'), b.peer, 'write')
    lacks(await fromB('rm', onA('note')), b.peer, 'write')
    lacks(await fromB('mkchan', onA('c')), b.peer, 'write')
    // A channel in A's tree is not B's to use: loading it needs write.
    lacks(await fromB('recv', onA('box')), b.peer, 'write')
    lacks(await fromB('send', onA('box'), 'yo'), b.peer, 'write')
    lacks(await fromB('run', guest('hello'), '--on', a.peer), b.peer, 'exec')
    // ps --all lists what B may see (its own procs) and skips A with one line, exit 4.
    const ps = await fromB('ps', '--all')
    assert.equal(ps.status, 4, ps.stderr)
    assert.match(ps.stdout, /^ID\s+STATE/)
    assert.match(ps.stderr, new RegExp(`^ww: skipped host ${a.peer}: .*lacks 'exec'.*\n$`))
    // Nothing was changed on A: the note is there and the channel still holds only the owner's message.
    assert.equal(await ok(['load', '/peer/note', '--home', a.home]), 'hello')
    assert.equal(await ok(['recv', '/peer/box', '--home', a.home]), 'hi\n')

    // A grants B exec (its own line replaces the members' read): after a restart B may run procs on A.
    writeFileSync(join(a.home, 'policy.toml'), `# B may read and run procs here\nmembers = ["read"]\n\n[peers]\n"${b.peer}" = ["read", "exec"]  # not write\n`)
    assert.equal(await a.stop(), 0)
    a = await CliNode.startWithPolicy(a.home, '--bootstrap', b.addrs[0])
    nodes.push(a)
    await joined(a, b)
    assert.match(a.stderr, new RegExp(`^ww: policy: members read, ${b.peer} read,exec$`, 'm'))
    const run = await wwAsync(['run', '--home', b.home, guest('hello'), '--on', a.peer, '--', 'granted'])
    assert.equal(run.stdout, 'arg 1: granted\nGREETING=(unset)\n', run.stderr)
    assert.equal(run.status, 7) // hello's own exit code
    lacks(await fromB('store', onA('x'), '--bytes', 'v'), b.peer, 'write')
    // A proc runs with its spawner's authority: B's proc on A cannot store in A's tree either.
    const echo = await wwAsync(['run', '--home', b.home, guest('echo'), '--on', a.peer, '--', '/peer/echo', '1'])
    assert.equal(echo.status, 1, echo.stderr)
    assert.match(echo.stderr, new RegExp(`^echo: cannot store /peer/echo: PermissionDenied: peer ${b.peer} lacks 'write' on this host \\(storing\\)`, 'm'))
    assert.equal(await ok(['ls', '/peer', '--home', a.home]), '') // a restarted node's tree starts empty
  })

  it('--grant overrides the policy file; a malformed policy file or --grant is one line, exit 2', async () => {
    const home = tempHome()
    writeFileSync(join(home, 'policy.toml'), 'members = ["read", "fly"]\n')
    const bad = await wwAsync(['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'])
    assert.equal(bad.status, 2, bad.stderr)
    assert.equal(bad.stderr, `ww: ${join(home, 'policy.toml')}:1: unknown right "fly": the rights are read, write, exec\n`)
    writeFileSync(join(home, 'policy.toml'), 'members = ["read"]\nsomeone = ["exec"]\n')
    const stray = await wwAsync(['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'])
    assert.equal(stray.status, 2, stray.stderr)
    assert.equal(stray.stderr, `ww: ${join(home, 'policy.toml')}:2: unknown key "someone": put peers under [peers]\n`)
    writeFileSync(join(home, 'policy.toml'), 'members = []\n')
    const flag = await wwAsync(['start', '--home', home, '--no-mdns', '--grant', 'members'])
    assert.equal(flag.status, 2, flag.stderr)
    assert.equal(flag.stderr, 'ww: --grant takes PEER=RIGHTS (e.g. members=read,exec), got "members"\n')

    const n = await CliNode.startWithPolicy(home, '--grant', 'members=read,write')
    nodes.push(n)
    assert.match(n.stderr, /^ww: policy: members read,write$/m)
  })

  it('a node refuses a home that others can write: one line, exit 4', async () => {
    const parent = tempHome()
    const home = join(parent, 'shared')
    mkdirSync(home)
    chmodSync(home, 0o777)
    const r = await wwAsync(['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'])
    assert.equal(r.status, 4, r.stderr)
    assert.equal(r.stderr, `ww: the home ${home} can be written by others (mode 777): chmod 700 ${home}\n`)
    chmodSync(home, 0o700)
    const n = await CliNode.startWithPolicy(home)
    nodes.push(n)
  })
})
