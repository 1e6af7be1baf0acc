import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CliNode, eventually, ok, runAsync, sleep, tempHome, twoNodes, wwAsync, wwBin, type CliResult } from './cli-node.js'


describe('host: anchors and channels through the CLI, across two nodes', function () {
  this.timeout(240_000)
  let a: CliNode
  let b: CliNode

  before(async () => { [a, b] = await twoNodes() })

  after(() => {
    a?.cleanup()
    b?.cleanup()
  })



  it('B sends 10,000 lines to a channel stored at /<A>/mailbox; A receives all, in order, none twice', async () => {
    await ok(['mkchan', `/${a.peer}/mailbox`, '--cap', '16', '--home', a.home])
    assert.equal(await ok(['ls', `/${a.peer}`, '--home', b.home]), 'mailbox\tchan\n')
    const n = 10_000
    const lines = Array.from({ length: n }, (_, i) => `message ${i}`)
    const received = wwAsync(['recv', '/peer/mailbox', '--count', String(n), '--home', a.home])
    await ok(['send', `/${a.peer}/mailbox`, '--home', b.home], lines.join('\n') + '\n')
    const got = await received
    assert.equal(got.status, 0, got.stderr)
    assert.deepEqual(got.stdout.split('\n').slice(0, -1), lines)
    await ok(['rm', `/${a.peer}/mailbox`, '--home', b.home])
  })

  it('backpressure: capacity 4 and no receiver, the 5th send waits until A receives once', async () => {
    await ok(['mkchan', '/peer/slow', '--cap', '4', '--home', a.home])
    const sender = spawn(wwBin, ['send', `/${a.peer}/slow`, '--home', b.home], { stdio: ['pipe', 'ignore', 'pipe'] })
    let exited = false
    const done = new Promise<number | null>(resolve => sender.on('exit', code => { exited = true; resolve(code) }))
    sender.stdin.end('1\n2\n3\n4\n5\n')
    await sleep(3000)
    assert.equal(exited, false, 'the sender finished although the buffer was full')
    assert.equal(await ok(['recv', '/peer/slow', '--home', a.home]), '1\n')
    assert.equal(await done, 0)
    assert.equal(await ok(['recv', '/peer/slow', '--count', '4', '--home', a.home]), '2\n3\n4\n5\n')
    await ok(['rm', '/peer/slow', '--home', a.home])
  })

  it('store, load, ls --json and rm of bytes; overwrite needs --force', async () => {
    await ok(['store', `/${a.peer}/jobs/config`, '--bytes', 'v1', '--home', b.home])
    assert.equal(await ok(['load', '/peer/jobs/config', '--home', a.home]), 'v1')
    const taken = await wwAsync(['store', `/${a.peer}/jobs/config`, '--bytes', 'v2', '--home', b.home])
    assert.equal(taken.status, 5)
    assert.equal(taken.stderr, `ww: /${a.peer}/jobs/config already holds a bytes value; use --force to replace it\n`)
    await ok(['store', `/${a.peer}/jobs/config`, '--bytes', 'v2', '--force', '--home', b.home])
    assert.equal(await ok(['load', `/${a.peer}/jobs/config`, '--home', b.home]), 'v2')
    assert.deepEqual(JSON.parse(await ok(['ls', `/${a.peer}/jobs`, '--json', '--home', b.home])), [{ name: 'config', kind: 'bytes', children: 0 }])
    await ok(['rm', `/${a.peer}/jobs/config`, '--home', b.home])
    // Nothing refers to the anchors any more: they are gone.
    assert.equal(await ok(['ls', `/${a.peer}`, '--home', b.home]), '')
  })

  it('bad paths, unknown peers and missing anchors get one clear line', async () => {
    const cases: Array<[string[], RegExp, number]> = [
      [['ls', '/peer/../etc'], /"\.\." is not allowed/, 2],
      [['ls', '/peer/a b'], /not allowed|printable/, 2],
      [['load', '/12D3KooWNoSuchPeer/x'], /no live host "12D3KooWNoSuchPeer"/, 3],
      [['send', '/peer/nothing', 'hi'], /^ww: no anchor \/peer\/nothing\n$/, 3],
      [['recv', '/peer/nothing', '--timeout', '1'], /^ww: no anchor \/peer\/nothing\n$/, 3],
      [['load', '/peer/nothing'], /^ww: no anchor \/peer\/nothing\n$/, 3]
    ]
    for (const [args, pattern, code] of cases) {
      const r = await wwAsync([...args, '--home', b.home])
      assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stderr.split('\n').length, 2, r.stderr)
      assert.match(r.stderr, pattern)
    }
    // The node is still fine.
    assert.equal((await b.ls()).length, 2)
  })

  /** Runs `ww` expecting it to fail with exactly one "ww: " line on stderr and nothing on stdout. */
  const fails = async (args: string[], code: number, line: string | RegExp, input?: string): Promise<void> => {
    const r = await wwAsync(args, input)
    assert.equal(r.status, code, `ww ${args.join(' ')}: exit ${r.status}: ${r.stderr}`)
    assert.equal(r.stdout, '', `ww ${args.join(' ')}`)
    assert.match(r.stderr, /^ww: [^\n]+\n$/, `ww ${args.join(' ')}: not one line: ${r.stderr}`)
    if (typeof line === 'string') assert.equal(r.stderr, `ww: ${line}\n`)
    else assert.match(r.stderr, line)
  }

  it('a missing anchor is an error (exit 3) for ls, load, rm, send and recv, here and on the other node; nothing is created', async () => {
    await ok(['store', '/peer/there/x', '--bytes', 'x', '--home', a.home])
    for (const [home, at] of [[a.home, '/peer'], [b.home, `/${a.peer}`]]) {
      const p = `${at}/there/typo/deeper`
      for (const args of [['ls', p], ['load', p], ['rm', p], ['send', p, 'hi'], ['recv', p, '--timeout', '1']]) {
        await fails([...args, '--home', home], 3, `no anchor ${at}/there/typo`)
      }
      await fails(['ls', `${at}/typo`, '--home', home], 3, `no anchor ${at}/typo`)
    }
    await fails(['ls', '/12D3KooWNoSuchPeer/x', '--home', b.home], 3, 'no live host "12D3KooWNoSuchPeer"')
    assert.equal(await ok(['ls', '-R', '/peer/there', '--home', a.home]), '/peer/there/x\tbytes\n', 'the failed commands made no anchors')
    await ok(['rm', '/peer/there/x', '--home', a.home])
  })

  it('an empty anchor that exists lists nothing (exit 0); rm of an anchor holding nothing is exit 3', async () => {
    assert.equal(await ok(['ls', `/${b.peer}`, '--home', a.home]), '', 'a host tree with nothing in it')
    assert.equal(await ok(['ls', '/peer', '--home', b.home]), '')
    // A waiting recv holds its anchor: cleared, the anchor is empty but still there. The recv has surely reached
    // the anchor once it has received a first message; it then waits for a second.
    await ok(['mkchan', '/peer/held/box', '--home', b.home])
    const recv = spawn(wwBin, ['recv', '/peer/held/box', '--count', '2', '--home', b.home], { stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>(resolve => recv.on('exit', resolve))
    let received = ''
    recv.stdout.on('data', d => { received += String(d) })
    await ok(['send', '/peer/held/box', 'first', '--home', b.home])
    await eventually(() => received === 'first\n', 20_000, 'the recv to take the first message')
    await ok(['rm', `/${b.peer}/held/box`, '--home', a.home])
    try {
      assert.equal(await ok(['ls', `/${b.peer}/held/box`, '--home', a.home]), '')
      assert.equal(await ok(['ls', `/${b.peer}/held`, '--home', a.home]), 'box\tempty\n')
      await fails(['rm', `/${b.peer}/held/box`, '--home', a.home], 3, `/${b.peer}/held/box holds no value`)
      await fails(['rm', '/peer/held', '--home', b.home], 3, '/peer/held holds no value')
      await fails(['load', '/peer/held/box', '--home', b.home], 3, '/peer/held/box holds no value')
    } finally {
      recv.kill('SIGTERM')
    }
    await exited
    // Its last holder gone, the empty anchor goes too.
    await eventually(async () => (await wwAsync(['ls', '/peer/held/box', '--home', b.home])).status === 3, 20_000, 'the anchor to go')
    assert.equal(await ok(['ls', '/peer', '--home', b.home]), '')
  })

  it('send to an anchor holding bytes says it holds no channel (exit 2)', async () => {
    await ok(['store', '/peer/plain', '--bytes', 'x', '--home', a.home])
    await fails(['send', `/${a.peer}/plain`, 'hi', '--home', b.home], 2, `/${a.peer}/plain holds no channel`)
    await fails(['recv', '/peer/plain', '--home', a.home], 2, '/peer/plain holds no channel')
    await ok(['rm', '/peer/plain', '--home', a.home])
  })

  it('store takes its value from --bytes, --file or stdin, bounded by maxValueBytes (1 MiB); refusing to overwrite names --force', async () => {
    const dir = tempHome()
    const exact = join(dir, 'exact')
    writeFileSync(exact, Buffer.alloc(1 << 20, 'v'))
    const over = join(dir, 'over')
    writeFileSync(over, Buffer.alloc((1 << 20) + 1, 'v'))
    try {
      await ok(['store', `/${a.peer}/st/stdin`, '--home', b.home], 'from stdin\n')
      assert.equal(await ok(['load', '/peer/st/stdin', '--home', a.home]), 'from stdin\n', 'a pipe gets the exact bytes')
      await ok(['store', `/${a.peer}/st/file`, '--file', exact, '--home', b.home])
      const loaded = await ok(['load', `/${a.peer}/st/file`, '--home', b.home])
      assert.equal(loaded.length, 1 << 20)
      assert.ok(/^v+$/.test(loaded))
      await fails(['store', `/${a.peer}/st/file`, '--bytes', 'x', '--home', b.home], 5,
        `/${a.peer}/st/file already holds a bytes value; use --force to replace it`)
      await fails(['store', '/peer/st/over', '--file', over, '--home', a.home], 2, `file ${over} is over the value limit of 1048576 bytes (maxValueBytes)`)
      await fails(['store', '/peer/st/over', '--home', a.home], 2, 'the value on stdin is over the value limit of 1048576 bytes (maxValueBytes)', 'v'.repeat((1 << 20) + 1))
      await fails(['store', '/peer/st/over', '--file', join(dir, 'missing'), '--home', a.home], 3, `no file ${join(dir, 'missing')}`)
      await fails(['store', '/peer/st/over', '--file', dir, '--home', a.home], 2, `${dir} is a directory: --file takes a file`)
      await fails(['store', '/peer/st/over', '--file', exact, '--bytes', 'x', '--home', a.home], 2, 'give the value once: --bytes or --file, not both')
      await fails(['mkchan', `/${a.peer}/st/stdin`, '--home', b.home], 5, `/${a.peer}/st/stdin already holds a bytes value; use --force to replace it`)
      assert.equal(await ok(['ls', '/peer/st', '--home', a.home]), 'file\tbytes\nstdin\tbytes\n', 'the failed stores stored nothing')
      const help = await ok(['store', '--help'])
      assert.match(help, /--file/)
      assert.match(help, /stdin/)
      assert.match(help, /1048576 bytes\s+\(maxValueBytes/)
      for (const x of ['stdin', 'file']) await ok(['rm', `/peer/st/${x}`, '--home', a.home])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('on a terminal, load ends its bytes with a newline and store with no value says how to give one (a pty from script(1))', async function () {
    if (!existsSync('/usr/bin/script')) this.skip()
    /** Runs `ww ARGS` with a terminal for stdin and stdout; the terminal turns "\n" into "\r\n". */
    const onTerminal = async (args: string[]): Promise<CliResult> => {
      const command = [wwBin, ...args].map(x => `'${x}'`).join(' ')
      return await runAsync('/usr/bin/script', ['-qec', command, '/dev/null'])
    }
    await ok(['store', '/peer/tty/v', '--bytes', 'v1', '--home', a.home])
    assert.equal(await ok(['load', '/peer/tty/v', '--home', a.home]), 'v1', 'a pipe gets the exact bytes')
    const loaded = await onTerminal(['load', '/peer/tty/v', '--home', a.home])
    assert.equal(loaded.status, 0, loaded.stderr)
    assert.equal(loaded.stdout, 'v1\r\n')
    const store = await onTerminal(['store', '/peer/tty/w', '--home', a.home])
    assert.equal(store.status, 2)
    assert.equal(store.stdout, 'ww: store needs a value: give --bytes DATA or --file FILE, or pipe it in (echo hi | ww store PATH)\r\n')
    await ok(['rm', '/peer/tty/v', '--home', a.home])
  })

  it('ls -R lists every anchor below a path, here and across nodes, as lines or --json, --depth bounding it', async () => {
    for (const p of ['r/a/x', 'r/a/y/z', 'r/b']) await ok(['store', `/${a.peer}/${p}`, '--bytes', p, '--home', b.home])
    await ok(['mkchan', '/peer/r/a/ch', '--home', a.home])
    const expected = [['/r/a', 'empty', 3], ['/r/a/ch', 'chan', 0], ['/r/a/x', 'bytes', 0], ['/r/a/y', 'empty', 1], ['/r/a/y/z', 'bytes', 0], ['/r/b', 'bytes', 0]] as const
    assert.equal(await ok(['ls', '-R', `/${a.peer}/r`, '--home', b.home]), expected.map(([p, k]) => `/${a.peer}${p}\t${k}\n`).join(''))
    assert.equal(await ok(['ls', '--recursive', '/peer/r', '--home', a.home]), expected.map(([p, k]) => `/peer${p}\t${k}\n`).join(''))
    assert.deepEqual(JSON.parse(await ok(['ls', '-R', '/peer/r', '--json', '--home', a.home])),
      expected.map(([p, kind, children]) => ({ path: `/peer${p}`, kind, children })))
    assert.equal(await ok(['ls', '-R', '/peer/r', '--depth', '1', '--home', a.home]), '/peer/r/a\tempty\n/peer/r/b\tbytes\n')
    const all = (await ok(['ls', '-R', '/', '--home', b.home])).split('\n')
    for (const line of [`/${a.peer}\thost`, `/${b.peer}\thost`, `/${a.peer}/r/a/y/z\tbytes`]) assert.ok(all.includes(line), `${line} in ${all.join(', ')}`)
    assert.equal(await ok(['ls', '-R', `/${b.peer}`, '--home', a.home]), '', 'an empty tree')
    await fails(['ls', '-R', '/peer/r/typo', '--home', a.home], 3, 'no anchor /peer/r/typo')
    await fails(['ls', '-R', '/peer/r', '--depth', '0', '--home', a.home], 2, '--depth must be an integer from 1 to 65 (maxListDepth), got 0')
    await fails(['ls', '/peer/r', '--depth', '2', '--home', a.home], 2, '--depth applies to ls -R only')
    const help = await ok(['ls', '--help'])
    assert.match(help, /10000 anchors\s+\(maxListEntries\)/)
    assert.match(help, /maxListDepth/)
    for (const p of ['r/a/x', 'r/a/y/z', 'r/b', 'r/a/ch']) await ok(['rm', `/peer/${p}`, '--home', a.home])
    await fails(['ls', '-R', '/peer/r', '--home', a.home], 3, 'no anchor /peer/r')
  })

  it('ls -R / skips a listed host that cannot be reached, one line for it, lists the rest, and exits 69', async () => {
    const c = await CliNode.start(tempHome(), '--bootstrap', a.addrs[0], '--ttl', '120')
    try {
      await eventually(async () => (await a.ls()).includes(c.peer), 60_000, 'A lists C')
      await ok(['store', '/peer/here', '--bytes', 'x', '--home', a.home])
      await c.stop('SIGKILL') // A still lists C until its TTL (120 s) runs out
      assert.ok((await a.ls()).includes(c.peer), 'C is still listed')
      const r = await wwAsync(['ls', '-R', '/', '--home', a.home])
      assert.equal(r.status, 69, r.stderr)
      assert.match(r.stderr, new RegExp(`^ww: skipped host /${c.peer}: [^\n]+\n$`))
      const lines = r.stdout.split('\n')
      for (const line of [`/${a.peer}\thost`, `/${b.peer}\thost`, `/${c.peer}\thost`, `/${a.peer}/here\tbytes`]) assert.ok(lines.includes(line), `${line} in ${lines.join(', ')}`)
      await ok(['rm', '/peer/here', '--home', a.home])
    } finally {
      c.cleanup()
    }
  })

  it('mkchan --cap is checked against maxCapacity (65536) before anything is sent', async () => {
    for (const cap of ['100000000000', '65537', '-1', '1.5', 'x']) {
      await fails(['mkchan', '/peer/capped', '--cap', cap, '--home', a.home], 2, `--cap must be an integer from 0 to 65536 (maxCapacity), got ${cap}`)
    }
    await fails(['ls', '/peer/capped', '--home', a.home], 3, 'no anchor /peer/capped')
    await ok(['mkchan', `/${a.peer}/capped`, '--cap', '65536', '--home', b.home])
    await ok(['rm', '/peer/capped', '--home', a.home])
    assert.match(await ok(['mkchan', '--help']), /65536 \(maxCapacity\)/)
  })
})
