// Which modules may run on a host: signer and hash allow-lists, signatures carried by ww run and by guests'
// spawns, refusals before anything is fetched or prepared, mismatched bytes logged with their sender,
// preparations per peer rate-limited, and the disk budget of <home>/modules.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Connection } from '../../src/rpc/index.js'
import { HostClient, Host_Executor$Results$Caps, Host_Peer$Results$Caps } from '../../src/schema/host.rpc.js'
import { connectUnix } from '../../src/transport/index.js'
import { writeSpawnRequest } from '../../src/caps/spawn-request.js'
import { serveModuleSource } from '../../src/caps/module-source.js'
import { readSignerKey, signModule } from '../../src/proc/module-signature.js'
import { guest } from './cli-procs.js'
import { CliNode, eventually, ok, tempHome, wwAsync, type CliResult } from './cli-node.js'

const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest()
const hex = (bytes: Uint8Array): string => sha256(bytes).toString('hex')

/** `wasm` with a custom section appended: another module (another hash) that runs the same. */
export function variant (wasm: Uint8Array, n: number): Buffer {
  const payload = Buffer.from(`variant ${n}`)
  const name = Buffer.from('ww-test')
  const body = Buffer.concat([Buffer.from([name.length]), name, payload])
  return Buffer.concat([wasm, Buffer.from([0, body.length]), body])
}

/** The command failed with exit 4 and the one line of a refused module. */
function refused (r: CliResult, hash: string, peer: string, why: string): void {
  assert.equal(r.status, 4, r.stderr)
  assert.equal(r.stderr, `ww: module ${hash} may not run on this host for peer ${peer}: ${why}; the host's owner can allow it in the node's policy (allow-modules, allow-signers), or sign it (ww sign)\n`)
}

/** Files in a node's <home>/modules whose names start with `prefix`. */
const moduleFiles = (node: CliNode, prefix: string): string[] => {
  try { return readdirSync(join(node.home, 'modules')).filter(f => f.startsWith(prefix)) } catch { return [] }
}

async function joined (a: CliNode, b: CliNode): Promise<void> {
  await eventually(async () => (await a.ls()).includes(b.peer) && (await b.ls()).includes(a.peer), 60_000, 'both hosts')
}

describe('host: which modules may run (signatures, allow-lists, the module cache)', function () {
  this.timeout(300_000)
  const nodes: CliNode[] = []
  after(() => { for (const n of nodes) n.cleanup() })

  describe('a host that runs only modules signed by an allowed key', () => {
    let a: CliNode
    let b: CliNode
    let dir: string
    let signer: string
    let other: string
    before(async () => {
      dir = tempHome()
      signer = (await ok(['key', 'signer', '--out', join(dir, 'k.pem')])).trim()
      other = (await ok(['key', 'signer', '--out', join(dir, 'other.pem')])).trim()
      assert.match(signer, /^ed25519:[0-9a-f]{64}$/)
      assert.equal(statSync(join(dir, 'k.pem')).mode & 0o777, 0o600)
      for (const g of ['hello', 'fanout']) copyFileSync(guest(g), join(dir, `${g}.wasm`))
      a = await CliNode.start(tempHome(), '--allow-signer', signer)
      b = await CliNode.start(tempHome(), '--bootstrap', a.addrs[0])
      nodes.push(a, b)
      await joined(a, b)
      assert.match(a.stderr, /^ww: modules: members modules signed by 1 key$/m)
    })

    it('refuses an unsigned module before fetching it, one signed by another key, and a tampered signature; runs a signed one', async () => {
      const hello = join(dir, 'hello.wasm')
      const h = hex(readFileSync(hello))
      const run = async (...extra: string[]): Promise<CliResult> => await wwAsync(['run', '--home', b.home, hello, '--on', a.peer, ...extra, '--', 'signed'])

      refused(await run(), h, b.peer, 'it carries no valid signature by an allowed signer (it carries none)')
      assert.deepEqual(moduleFiles(a, h), [], 'checked before the bytes were fetched')

      await ok(['sign', hello, '--key', join(dir, 'other.pem'), '--out', join(dir, 'other.sig')])
      refused(await run('--sig', join(dir, 'other.sig')), h, b.peer, `it carries no valid signature by an allowed signer (signed only by ${other})`)

      await ok(['sign', hello, '--key', join(dir, 'k.pem')])
      const good = readFileSync(`${hello}.sig`, 'utf8')
      assert.match(good, new RegExp(`^${signer} [0-9a-f]{128}\\n$`))
      const flipped = good.replace(/ ([0-9a-f])/, (_m, d: string) => ` ${d === '0' ? '1' : '0'}`)
      writeFileSync(join(dir, 'tampered.sig'), flipped)
      refused(await run('--sig', join(dir, 'tampered.sig')), h, b.peer, 'it carries no valid signature by an allowed signer (1 signature did not verify)')
      assert.deepEqual(moduleFiles(a, h), [])

      const r = await run() // picks up hello.wasm.sig
      assert.equal(r.stdout, 'arg 1: signed\nGREETING=(unset)\n', r.stderr)
      assert.equal(r.status, 7)
      assert.ok(moduleFiles(a, h).includes(`${h}.sig`), 'the host keeps the signature it verified next to the module')

      // The owner may run any module on its own host.
      const own = await wwAsync(['run', '--home', a.home, join(dir, 'fanout.wasm'), '--', '2'])
      assert.equal(own.stdout, 'results: 0 1\n', own.stderr)
    })

    it('a guest\'s spawns carry the signatures its host verified: unsigned children are refused on the other host, signed ones run', async () => {
      const fanout = join(dir, 'fanout.wasm')
      const h = hex(readFileSync(fanout))
      // B's owner runs fanout on B, its children on A: A checks them against its rules for B.
      const unsigned = await wwAsync(['run', '--home', b.home, fanout, '--', '2', 'rr', a.peer])
      assert.equal(unsigned.status, 1, unsigned.stderr)
      assert.match(unsigned.stderr, new RegExp(`^fanout: spawn 0 on '${a.peer}': PermissionDenied: module ${h} may not run on this host for peer ${b.peer}: it carries no valid signature`, 'm'))

      await ok(['sign', fanout, '--key', join(dir, 'k.pem')])
      assert.equal(await ok(['run', '--home', b.home, fanout, '--', '2', 'rr', a.peer]), 'results: 0 1\n')
      // B's proc on A spawns its children on A, under A's rules for B: the signature A kept lets them run.
      assert.equal(await ok(['run', '--home', b.home, fanout, '--on', a.peer, '--', '3']), 'results: 0 1 4\n')
    })

    it('refuses bytes that do not match the module asked for, and logs the peer that sent them', async () => {
      const wanted = variant(readFileSync(guest('hello-as')), 1)
      const served = readFileSync(guest('hello-as'))
      const hash = sha256(wanted)
      const key = readSignerKey(readFileSync(join(dir, 'k.pem'), 'utf8'), 'k.pem')
      const conn = new Connection(await connectUnix(join(b.home, 'api.sock')), { name: 'test' })
      try {
        using host = conn.bootstrap(HostClient)
        using peer = host.peer(p => { p.peer = a.peer })
        using ex = Host_Peer$Results$Caps.host.get(await peer).executor()
        using source = serveModuleSource(async () => served)
        using spawn = Host_Executor$Results$Caps.executor.get(await ex).spawn(p => {
          writeSpawnRequest(p._initRequest(), { hash, source, signatures: [signModule(hash, key)] })
        })
        await assert.rejects(async () => await spawn, (err: Error) => err.name === 'InvalidArgument' && /do not match its hash/.test(err.message))
      } finally {
        conn.close()
      }
      const line = `ww: refused module bytes from peer ${b.peer}: they do not match module ${hash.toString('hex')}, the one asked for`
      await eventually(() => a.stderr.includes(line), 30_000, 'the log line')
      assert.equal(a.stderr.split('\n').filter(l => l.includes('refused module bytes')).length, 1)
      assert.deepEqual(moduleFiles(a, hash.toString('hex')), [])
    })
  })

  it('allow-list by hash for one peer ([modules.PEER]); a peer without exec makes nothing prepared; preparations per peer are rate-limited', async () => {
    // B: the default policy (remote peers may only read).
    const b = await CliNode.startWithPolicy(tempHome())
    nodes.push(b)
    const hello = readFileSync(guest('hello'))
    const dir = tempHome()
    const helloAs = join(dir, 'hello-as.wasm')
    const helloAs2 = join(dir, 'hello-as-2.wasm')
    copyFileSync(guest('hello-as'), helloAs)
    writeFileSync(helloAs2, variant(readFileSync(guest('hello-as')), 2))
    const homeA = tempHome()
    writeFileSync(join(homeA, 'policy.toml'), [
      'members = ["read"]',
      '[peers]',
      `${b.peer} = ["read", "exec"]`,
      `[modules.${b.peer}]`,
      `allow-modules = ["${hex(hello)}", "${hex(readFileSync(helloAs))}", "${hex(readFileSync(helloAs2))}"]`
    ].join('\n') + '\n')
    const a = await CliNode.startWithPolicy(homeA, '--bootstrap', b.addrs[0], '--module-preparations', '2')
    nodes.push(a)
    await joined(a, b)
    assert.match(a.stderr, new RegExp(`^ww: modules: members any module, ${b.peer} 3 modules by hash$`, 'm'))

    // A peer without exec cannot make a host fetch or prepare anything.
    const noExec = await wwAsync(['run', '--home', a.home, guest('hello'), '--on', b.peer])
    assert.equal(noExec.status, 4, noExec.stderr)
    assert.match(noExec.stderr, new RegExp(`^ww: peer ${a.peer} lacks 'exec' on this host`))
    assert.deepEqual(moduleFiles(b, ''), [])

    const run = async (file: string): Promise<CliResult> => await wwAsync(['run', '--home', b.home, file, '--on', a.peer])
    refused(await run(guest('echo')), hex(readFileSync(guest('echo'))), b.peer, 'it is not on the list of allowed modules')
    const first = await run(guest('hello'))
    assert.equal(first.status, 7, first.stderr)
    const second = await run(helloAs)
    assert.equal(second.status, 7, second.stderr)
    // A third new module within the minute: past --module-preparations 2; a module A holds still runs.
    const third = await run(helloAs2)
    assert.equal(third.status, 1, third.stderr)
    assert.match(third.stderr, new RegExp(`^ww: peer ${b.peer} may make this host fetch and prepare at most 2 new modules a minute \\(modulePreparationsPerMinute\\): try again in \\d+ s\\n$`))
    assert.deepEqual(moduleFiles(a, hex(readFileSync(helloAs2))), [])
    assert.equal((await run(guest('hello'))).status, 7)
  })

  it('ww start refuses a malformed --allow-module, --allow-signer, --module-preparations, --max-module-cache or policy line: one line, exit 2', async () => {
    const home = tempHome()
    const start = async (...extra: string[]): Promise<CliResult> => await wwAsync(['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', ...extra])
    const cases: Array<[string[], string]> = [
      [['--allow-module', 'xyz'], 'ww: --allow-module: a module is named by its SHA-256, 64 hex digits (sha256sum FILE.wasm), got "xyz"\n'],
      [['--allow-signer', '12D3KooW'], 'ww: --allow-signer: a signer is ed25519: and 64 hex digits (as \'ww key signer\' prints it), got "12D3KooW"\n'],
      [['--module-preparations', '0'], 'ww: --module-preparations must be a whole number of modules a minute, at least 1, got "0"\n'],
      [['--max-module-cache', 'lots'], 'ww: --max-module-cache must be a positive number of bytes, optionally with k, m or g (KiB, MiB, GiB), got "lots"\n']
    ]
    for (const [flags, stderr] of cases) {
      const r = await start(...flags)
      assert.equal(r.stderr, stderr)
      assert.equal(r.status, 2)
    }
    writeFileSync(join(home, 'policy.toml'), '[modules.P]\nallow-signers = ["ed25519:zz"]\n')
    const r = await start()
    assert.equal(r.stderr, `ww: ${join(home, 'policy.toml')}:2: a signer is ed25519: and 64 hex digits (as 'ww key signer' prints it), got "ed25519:zz"\n`)
    assert.equal(r.status, 2)
  })

  it('<home>/modules stays within --max-module-cache: least recently used modules go, one in use stays', async () => {
    const budget = 64 * 1024
    const n = await CliNode.start(tempHome(), '--max-module-cache', '64k')
    nodes.push(n)
    const dir = tempHome()
    const dirBytes = (): number => readdirSync(join(n.home, 'modules')).filter(f => /^[0-9a-f]{64}\./.test(f))
      .reduce((sum, f) => sum + statSync(join(n.home, 'modules', f)).size, 0)
    // A proc that stays running (idle blocks in recv) pins its module.
    const idle = join(dir, 'idle.wasm')
    copyFileSync(guest('idle'), idle)
    const detached = await ok(['run', '-d', '--home', n.home, idle])
    assert.match(detached, /^\S+\/\d+\n$/)
    const idleHash = hex(readFileSync(idle))
    for (let i = 0; i < 6; i++) {
      const file = join(dir, `v${i}.wasm`)
      writeFileSync(file, variant(readFileSync(guest('hello-as')), i))
      const r = await wwAsync(['run', '--home', n.home, file])
      assert.equal(r.status, 7, r.stderr)
      assert.ok(dirBytes() <= budget, `after module ${i}: ${dirBytes()} bytes in <home>/modules, budget ${budget}`)
    }
    assert.ok(moduleFiles(n, idleHash).length >= 2, 'the running module was kept')
    const last = hex(readFileSync(join(dir, 'v5.wasm')))
    assert.ok(moduleFiles(n, last).length >= 2, 'the most recent module is there')
    assert.deepEqual(moduleFiles(n, hex(readFileSync(join(dir, 'v0.wasm')))), [], 'the least recently used was evicted')
  })
})
