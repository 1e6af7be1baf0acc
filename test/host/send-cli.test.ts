import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CliNode, ok, sleep, twoNodes, wwAsync, wwBin, type CliResult } from './cli-node.js'

const MiB = 1 << 20
const limitLine = 'the message limit of 1048576 bytes (maxMessageBytes)'

/**
 * `ww send` with stdin fed chunk by chunk, each after the last was taken, until the chunks end or
 * the pipe breaks; with the most memory the process held (VmHWM, polled).
 */
async function sendFed (args: string[], chunks: Iterable<Buffer>): Promise<CliResult & { accepted: number, peakRssBytes: number }> {
  const child = spawn(wwBin, ['send', ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  let peakRssBytes = 0
  const poll = setInterval(() => {
    try {
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      if (hwm !== null) peakRssBytes = Math.max(peakRssBytes, Number(hwm[1]) * 1024)
    } catch {} // gone
  }, 20)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', d => { stdout += String(d) })
  child.stderr.on('data', d => { stderr += String(d) })
  child.stdin.on('error', () => {}) // EPIPE once ww has stopped reading
  const status = new Promise<number | null>(resolve => child.on('close', resolve))
  let accepted = 0
  for (const chunk of chunks) {
    const err = await new Promise<Error | null | undefined>(resolve => child.stdin.write(chunk, resolve))
    if (err != null) break
    accepted += chunk.byteLength
  }
  child.stdin.end()
  const code = await status
  clearInterval(poll)
  return { status: code, stdout, stderr, accepted, peakRssBytes }
}

function * repeat (chunk: Buffer, times: number): Iterable<Buffer> {
  for (let i = 0; i < times; i++) yield chunk
}

describe('host: ww send limits and --timeout, across two nodes', function () {
  this.timeout(240_000)
  let a: CliNode
  let b: CliNode

  before(async () => { [a, b] = await twoNodes() })

  after(() => {
    a?.cleanup()
    b?.cleanup()
  })


  const oneLine = (r: CliResult, code: number, line: string): void => {
    assert.equal(r.status, code, r.stderr)
    assert.equal(r.stderr, `ww: ${line}\n`)
  }

  it('the largest message that fits is 1048576 bytes; a longer line fails at once naming its number (exit 2), after the lines before it', async () => {
    await ok(['mkchan', '/peer/big', '--cap', '8', '--home', a.home])
    const exact = Buffer.alloc(MiB, 'a')
    const over = Buffer.alloc(MiB + 1, 'b')
    const input = Buffer.concat([exact, Buffer.from('\nsecond\r\n'), over, Buffer.from('\nnever\n')])
    const r = await sendFed([`/${a.peer}/big`, '--home', b.home], [input])
    oneLine(r, 2, `line 3 of stdin is over ${limitLine}`)
    const got = await ok(['recv', '/peer/big', '--count', '2', '--home', a.home])
    assert.equal(got, `${exact.toString()}\nsecond\n`, 'lines 1 and 2 arrive whole (the "\\r" of a "\\r\\n" dropped)')
    const none = await wwAsync(['recv', '/peer/big', '--timeout', '1', '--home', a.home])
    oneLine(none, 124, 'no message on /peer/big within 1 s')
    assert.match(await ok(['send', '--help']), /at most 1048576 bytes\s+\(maxMessageBytes, 1 MiB\)/)
  })

  it('a 70 MB line: ww reads little more than the limit of it before failing with one line', async () => {
    const r = await sendFed([`/${a.peer}/big`, '--home', b.home], repeat(Buffer.alloc(64 << 10, 'x'), 70 * 16))
    oneLine(r, 2, `line 1 of stdin is over ${limitLine}`)
    // What ww read, plus what the pipe held when it stopped (64 KiB here; up to 1 MiB if resized).
    assert.ok(r.accepted < 3 * MiB, `ww took ${r.accepted} bytes of the line`)
    assert.ok(r.accepted > MiB, `ww took only ${r.accepted} bytes: it failed before reading the limit`)
    const none = await wwAsync(['recv', '/peer/big', '--timeout', '1', '--home', a.home])
    assert.equal(none.status, 124, 'nothing of it was sent')
  })

  it('300 lines of 1 MiB stream through with the client\'s memory bounded (a window of calls and bytes)', async () => {
    const n = 300
    await ok(['mkchan', '/peer/stream', '--cap', '4', '--home', a.home])
    const recver = spawn(wwBin, ['recv', '/peer/stream', '--count', String(n), '--home', a.home], { stdio: ['ignore', 'pipe', 'pipe'] })
    let received = 0
    recver.stdout.on('data', (d: Buffer) => { received += d.byteLength })
    const recvDone = new Promise<number | null>(resolve => recver.on('close', resolve))
    const line = Buffer.concat([Buffer.alloc(MiB, 'l'), Buffer.from('\n')])
    const r = await sendFed([`/${a.peer}/stream`, '--home', b.home], repeat(line, n))
    assert.equal(r.status, 0, r.stderr)
    assert.equal(await recvDone, 0)
    assert.equal(received, n * line.byteLength)
    // ~60 MB is node itself; the window holds 8 MiB of messages; a client that kept what it sent would pass 300 MB.
    assert.ok(r.peakRssBytes > 0 && r.peakRssBytes < 200 * MiB, `ww send peaked at ${Math.round(r.peakRssBytes / MiB)} MiB`)
    await ok(['rm', '/peer/stream', '--home', a.home])
  })

  it('a MESSAGE argument over the limit fails before anything is sent (exit 2)', async () => {
    // execve caps one argument at 128 KiB, so the command runs in a node process of its own.
    const program = fileURLToPath(new URL('../../cmd/program.js', import.meta.url))
    const polyfill = fileURLToPath(new URL('../../src/polyfill.js', import.meta.url))
    const script = `import(${JSON.stringify(program)}).then(m => m.runWw(['send', '/${a.peer}/big', 'm'.repeat(${MiB + 1}), '--home', ${JSON.stringify(b.home)}]))`
    const child = spawn(process.execPath, ['--import', polyfill, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', d => { stderr += String(d) })
    const status = await new Promise<number | null>(resolve => child.on('close', resolve))
    oneLine({ status, stdout: '', stderr }, 2, `MESSAGE is ${MiB + 1} bytes, over ${limitLine}`)
    const none = await wwAsync(['recv', '/peer/big', '--timeout', '1', '--home', a.home])
    assert.equal(none.status, 124, 'nothing was sent')
    await ok(['rm', '/peer/big', '--home', a.home])
  })

  it('--timeout: a send into a full channel nobody receives from fails after that long (exit 124) and is withdrawn', async () => {
    await ok(['mkchan', '/peer/full', '--cap', '1', '--home', a.home])
    await ok(['send', `/${a.peer}/full`, 'first', '--home', b.home])
    const started = Date.now()
    const r = await wwAsync(['send', `/${a.peer}/full`, 'second', '--timeout', '1.5', '--home', b.home])
    oneLine(r, 124, `a message to /${a.peer}/full was not taken within 1.5 s: the channel is full and nobody receives`)
    assert.ok(Date.now() - started >= 1500, 'it waited the whole timeout')
    // Lines from stdin, with stdin left open: the stalled send ends the command all the same.
    const child = spawn(wwBin, ['send', `/${a.peer}/full`, '--timeout', '1', '--home', b.home], { stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', d => { stderr += String(d) })
    child.stdin.write('third\nfourth\n')
    const status = await new Promise<number | null>(resolve => child.on('close', resolve))
    child.stdin.destroy()
    oneLine({ status, stdout: '', stderr }, 124, `a message to /${a.peer}/full was not taken within 1 s: the channel is full and nobody receives`)
    assert.equal(await ok(['recv', '/peer/full', '--home', a.home]), 'first\n')
    const none = await wwAsync(['recv', '/peer/full', '--timeout', '1', '--home', a.home])
    assert.equal(none.status, 124, `the timed-out sends were withdrawn, got ${none.stdout}`)
    for (const bad of ['0', '-1', 'soon']) {
      oneLine(await wwAsync(['send', '/peer/full', 'x', '--timeout', bad, '--home', a.home]), 2, `--timeout must be a positive number of seconds, got ${bad}`)
    }
    assert.match(await ok(['send', '--help']), /--timeout <seconds>/)
  })

  it('--timeout counts only sends that wait: an idle stdin with every message taken does not time out', async () => {
    const child = spawn(wwBin, ['send', `/${a.peer}/full`, '--timeout', '1', '--home', b.home], { stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', d => { stderr += String(d) })
    let exited = false
    const status = new Promise<number | null>(resolve => child.on('close', code => { exited = true; resolve(code) }))
    child.stdin.write('taken\n')
    assert.equal(await ok(['recv', '/peer/full', '--home', a.home]), 'taken\n')
    await sleep(2500)
    assert.equal(exited, false, `the sender gave up while idle: ${stderr}`)
    child.stdin.end('last\n')
    assert.equal(await status, 0, stderr)
    assert.equal(await ok(['recv', '/peer/full', '--home', a.home]), 'last\n')
    await ok(['rm', '/peer/full', '--home', a.home])
  })
})
