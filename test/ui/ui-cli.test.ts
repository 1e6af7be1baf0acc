// `ww start --ui` and `ww ui` from the command line: the URL, and every way they fail (one line, one exit code).
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { CliNode, ok, tempHome, wwAsync } from '../host/cli-node.js'
import { rmSync } from 'node:fs'

/** One "ww: " line on stderr, and nothing else. */
function oneLine (stderr: string, re: RegExp): void {
  const lines = stderr.split('\n').filter(l => l !== '')
  assert.equal(lines.length, 1, stderr)
  assert.match(lines[0], /^ww: /)
  assert.match(lines[0], re)
}

describe('ww start --ui and ww ui', function () {
  this.timeout(180_000)

  it('ww ui with no node running: exit 69, one line saying how to start one', async function () {
    const home = tempHome()
    try {
      const r = await wwAsync(['ui', '--home', home])
      assert.equal(r.status, 69)
      oneLine(r.stderr, /no ww node is running at .*ww start --home/)
    } finally { rmSync(home, { recursive: true, force: true }) }
  })

  it('ww ui on a node started without --ui: exit 3, one line saying to start it with --ui', async function () {
    const node = await CliNode.start(tempHome())
    try {
      const r = await wwAsync(['ui', '--home', node.home])
      assert.equal(r.status, 3)
      oneLine(r.stderr, /runs without the web console; stop it and start it with 'ww start --ui --home /)
      assert.doesNotMatch(node.stderr, /^ui: /m)
    } finally { node.cleanup() }
  })

  it('ww ui prints the URL the node printed; the URL file goes with the node', async function () {
    const node = await CliNode.start(tempHome(), '--ui', '127.0.0.1')
    try {
      const url = (await ok(['ui', '--home', node.home])).trim()
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/)
      assert.ok(node.stderr.includes(`ui: ${url}\n`))
      await ok(['stop', '--home', node.home])
      assert.equal(existsSync(`${node.home}/ui.url`), false)
    } finally { node.cleanup() }
  })

  it('ww start -d --ui prints the URL once the node answers', async function () {
    const home = tempHome()
    try {
      const r = await wwAsync(['start', '-d', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--ui'])
      assert.equal(r.status, 0, r.stderr)
      const url = (await ok(['ui', '--home', home])).trim()
      assert.equal(r.stderr, `ui: ${url}\n`)
      // The node's own line, in its log file, leaves the token out.
      const log = readFileSync(`${home}/ww.log`, 'utf8')
      assert.match(log, /^ui: http:\/\/127\.0\.0\.1:\d+\/ \(with the token in <home>\/ui\.url: ww ui prints it\)$/m)
      assert.ok(!log.includes(url.replace(/^.*#token=/, '')), 'the token is in ww.log')
      await ok(['stop', '--home', home])
    } finally { rmSync(home, { recursive: true, force: true }) }
  })

  it('a malformed --ui address: exit 2, one line naming the forms it takes', async function () {
    const home = tempHome()
    try {
      const r = await wwAsync(['start', '--home', home, '--no-mdns', '--ui', 'example.com:80'])
      assert.equal(r.status, 2)
      oneLine(r.stderr, /--ui takes PORT, HOST, HOST:PORT or \[IPv6\]:PORT .*"example\.com:80"/)
    } finally { rmSync(home, { recursive: true, force: true }) }
  })

  it('a --ui port already taken: exit 69, one line naming the address, and no node left behind', async function () {
    const taken = createServer()
    await new Promise<void>(resolve => taken.listen(0, '127.0.0.1', resolve))
    const port = (taken.address() as { port: number }).port
    const home = tempHome()
    try {
      const r = await wwAsync(['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--ui', `127.0.0.1:${port}`, '--quiet'])
      assert.equal(r.status, 69)
      oneLine(r.stderr, new RegExp(`console cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\): give another address with --ui ADDR`))
      assert.equal(existsSync(`${home}/ww.pid`), false)
      assert.equal(existsSync(`${home}/api.sock`), false)
    } finally {
      taken.close()
      rmSync(home, { recursive: true, force: true })
    }
  })
})
