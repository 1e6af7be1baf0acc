// mDNS discovery between two node processes in two network namespaces joined by a veth pair.
// Needs root and `ip netns`; skipped with a printed reason otherwise. The namespaces are always removed.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { patienceMs, removeDir, tempDir } from './helpers.js'
import { NodeProcess } from './process.js'

function ip (...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

function whyNot (): string | undefined {
  if (process.platform !== 'linux') return 'not Linux'
  if (process.getuid?.() !== 0) return 'not root (ip netns needs CAP_SYS_ADMIN)'
  try { execFileSync('ip', ['-V'], { stdio: 'ignore' }) } catch { return 'no `ip` command (iproute2)' }
  return undefined
}

describe('cluster: mDNS discovery in network namespaces', function () {
  this.timeout(120_000)
  const tag = `${process.pid % 100000}`
  const nsA = `ww-mdns-a-${tag}`
  const nsB = `ww-mdns-b-${tag}`
  const vethA = `wwa${tag}`
  const vethB = `wwb${tag}`
  const procs: NodeProcess[] = []
  const homes: string[] = []
  let made = false

  before(function () {
    const reason = whyNot()
    if (reason !== undefined) {
      console.log(`      skipped: ${reason}`)
      this.skip()
    }
    try {
      ip('netns', 'add', nsA)
      made = true
      ip('netns', 'add', nsB)
      ip('link', 'add', vethA, 'type', 'veth', 'peer', 'name', vethB)
      ip('link', 'set', vethA, 'netns', nsA)
      ip('link', 'set', vethB, 'netns', nsB)
      for (const [ns, dev, addr] of [[nsA, vethA, '10.231.0.1/24'], [nsB, vethB, '10.231.0.2/24']]) {
        ip('-n', ns, 'addr', 'add', addr, 'dev', dev)
        ip('-n', ns, 'link', 'set', 'lo', 'up')
        ip('-n', ns, 'link', 'set', dev, 'up')
        ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev)
      }
    } catch (err: any) {
      cleanupNetns()
      console.log(`      skipped: cannot make network namespaces: ${String(err.stderr ?? err.message).trim()}`)
      this.skip()
    }
  })

  function cleanupNetns (): void {
    for (const ns of [nsA, nsB]) { try { ip('netns', 'del', ns) } catch { /* not there */ } }
    try { ip('link', 'del', vethA) } catch { /* gone with its namespace */ }
  }

  after(async () => {
    for (const p of procs) p.kill()
    await Promise.all(procs.map(async p => await p.exited))
    if (made) cleanupNetns()
    await Promise.all(homes.map(removeDir))
  })

  it('two nodes with mDNS on and no bootstrap find each other and both list both', async () => {
    for (const ns of [nsA, nsB]) {
      const home = await tempDir()
      homes.push(home)
      procs.push(NodeProcess.start({ home, namespace: 'test', listen: ['/ip4/0.0.0.0/tcp/0'], mdns: true, expect: 2 }, ['ip', 'netns', 'exec', ns]))
    }
    const [a, b] = await Promise.all(procs.map(async p => await p.line('peerId', patienceMs)))
    assert.ok(a.addrs.some((x: string) => x.includes('10.231.0.1')), a.addrs.join(' '))
    const listed = await Promise.all(procs.map(async p => await p.line('listed', 2 * patienceMs)))
    const both = [a.peerId, b.peerId].sort()
    for (const l of listed) assert.deepEqual([...l.listed].sort(), both)
  })
})
