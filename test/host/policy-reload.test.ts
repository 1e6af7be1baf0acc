// ww start reads its policy again on SIGHUP: a grant or a revocation reaches a peer already connected (its
// connection is closed and it connects again under the new policy); a file that does not parse keeps the old one.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { guest, withoutProgress } from './cli-procs.js'
import { CliNode, eventually, tempHome, wwAsync, type CliResult } from './cli-node.js'

describe('host: ww start reloads its policy on SIGHUP', function () {
  this.timeout(180_000)
  let a: CliNode
  let b: CliNode
  let file: string

  before(async () => {
    const home = tempHome()
    file = join(home, 'policy.toml')
    writeFileSync(file, 'members = ["read"]\n')
    a = await CliNode.startWithPolicy(home) // <home>/policy.toml
    b = await CliNode.startWithPolicy(tempHome(), '--bootstrap', a.addrs[0])
    await eventually(async () => (await a.ls()).includes(b.peer) && (await b.ls()).includes(a.peer), 60_000, 'both hosts')
  })

  after(() => { for (const n of [a, b]) n?.cleanup() })

  /** B runs hello (exit 7) on A. */
  const runOnA = async (): Promise<CliResult> => await wwAsync(['run', guest('hello'), '--on', a.peer, '--home', b.home])
  const refused = (r: CliResult): boolean => r.status === 4 && new RegExp(`^ww: peer ${b.peer} lacks 'exec' on this host`).test(r.stderr)
  /** Sends SIGHUP to A and waits for its `count`-th line matching `line`. */
  const hangUp = async (line: RegExp, count: number): Promise<void> => {
    a.child.kill('SIGHUP')
    await eventually(() => (a.stderr.match(new RegExp(line.source, 'gm')) ?? []).length >= count, 30_000, `${String(line)} on A's stderr`)
  }

  it('a grant takes effect without a restart, for a peer already connected', async () => {
    assert.ok(refused(await runOnA()), 'B may not run procs on A yet')
    writeFileSync(file, `members = ["read"]\n[peers]\n"${b.peer}" = ["read", "exec"]\n`)
    await hangUp(/^ww: policy reloaded: members read, \S+ read,exec; closed the connections of 1 peer it treats differently$/, 1)
    const r = await runOnA()
    assert.equal(r.status, 7, r.stderr)
    assert.equal(withoutProgress(r.stderr), 'hello on stderr\n')
    assert.equal(a.child.exitCode, null, 'A still runs')
  })

  it('a file that does not parse: one error line, and the policy in force stays', async () => {
    writeFileSync(file, 'members = read\n')
    await hangUp(/^ww: policy not reloaded, the one in force stays: .*policy\.toml.*$/, 1)
    const errors = a.stderr.split('\n').filter(l => l.startsWith('ww: policy not reloaded'))
    assert.equal(errors.length, 1, a.stderr)
    assert.equal((await runOnA()).status, 7, 'B keeps exec')
  })

  it('a revocation reaches a peer already connected: its next call is refused', async () => {
    assert.equal((await runOnA()).status, 7)
    writeFileSync(file, 'members = ["read"]\n')
    await hangUp(/^ww: policy reloaded: members read; closed the connections of 1 peer it treats differently$/, 1)
    assert.ok(refused(await runOnA()), 'B lost exec on A')
    // the same policy again changes nothing and closes nothing
    await hangUp(/^ww: policy reloaded: members read$/, 1)
    assert.ok(refused(await runOnA()))
  })
})
