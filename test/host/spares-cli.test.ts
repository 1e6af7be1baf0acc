// Spare instances as a user meets them: ww start --max-spare-instances and --spare-memory bound them, and
// /metrics shows how many are held, the memory they hold and the spawns that took one.
import assert from 'node:assert/strict'
import { CliNode, eventually, ok, tempHome, wwAsync } from './cli-node.js'
import { guest } from './cli-procs.js'

/** The value of one unlabelled sample at `url` (Prometheus text). */
async function sample (url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text()
  const line = text.split('\n').find(l => l.startsWith(`${name} `))
  assert.ok(line !== undefined, `${name} in ${text}`)
  return Number(line.slice(name.length + 1))
}

/** The node's /metrics URL, from its "metrics" line (which may follow its peer and listen lines). */
async function metricsUrl (n: CliNode): Promise<string> {
  const url = (): string | undefined => /^metrics (\S+)$/m.exec(n.stdout)?.[1]
  await eventually(() => url() !== undefined, 30_000, 'the metrics line')
  return url() ?? ''
}

/** `ww run` of a guest that exits 7. */
async function hello (n: CliNode, name = 'hello'): Promise<void> {
  const r = await wwAsync(['run', guest(name), '--home', n.home])
  assert.equal(r.status, 7, r.stderr)
}

describe('host: spare instances (ww start --max-spare-instances, --spare-memory) and their metrics', function () {
  this.timeout(180_000)
  const nodes: CliNode[] = []

  after(async () => {
    for (const n of nodes) {
      await n.stop()
      n.cleanup()
    }
  })

  it('a module spawned once gets a spare, the next spawn takes it; --max-spare-instances 1 keeps one for two modules', async () => {
    const n = await CliNode.start(tempHome(), '--metrics', '127.0.0.1:0', '--max-spare-instances', '1')
    nodes.push(n)
    const url = await metricsUrl(n)
    assert.equal(await sample(url, 'ww_spare_instances'), 0)
    await hello(n)
    await eventually(async () => await sample(url, 'ww_spare_instances') === 1, 30_000, 'a spare of hello')
    const bytes = await sample(url, 'ww_spare_memory_bytes')
    assert.ok(bytes > 0 && bytes <= 4 * 1024 * 1024, `spare memory ${bytes}`)
    await hello(n)
    assert.equal(await sample(url, 'ww_spare_instances_taken_total'), 1)
    await hello(n, 'hello-as')
    await eventually(async () => await sample(url, 'ww_spare_instances_taken_total') === 1 && await sample(url, 'ww_spare_instances') === 1,
      30_000, 'one spare, of the module spawned last')
    await hello(n, 'hello-as')
    assert.equal(await sample(url, 'ww_spare_instances_taken_total'), 2, 'hello-as took the one spare')
  })

  it('--spare-memory smaller than a module\'s memory: no spare, every spawn instantiates', async () => {
    const n = await CliNode.start(tempHome(), '--metrics', '127.0.0.1:0', '--spare-memory', '1k')
    nodes.push(n)
    const url = await metricsUrl(n)
    for (let i = 0; i < 3; i++) await hello(n)
    assert.equal(await sample(url, 'ww_spare_instances'), 0)
    assert.equal(await sample(url, 'ww_spare_memory_bytes'), 0)
    assert.equal(await sample(url, 'ww_spare_instances_taken_total'), 0)
  })

  it('bad values: one line naming the flag, exit 2', async () => {
    for (const [flag, value, says] of [
      ['--max-spare-instances', '-1', /^ww: --max-spare-instances must be a whole number of instances \(0 for none\), got "-1"\n$/],
      ['--max-spare-instances', 'many', /^ww: --max-spare-instances must be a whole number/],
      ['--spare-memory', '0', /^ww: --spare-memory must be a positive number of bytes/]
    ] as const) {
      const r = await wwAsync(['start', '--home', tempHome(), '--no-mdns', flag, value])
      assert.equal(r.status, 2, r.stderr)
      assert.match(r.stderr, says)
      assert.equal(r.stderr.split('\n').length, 2, r.stderr)
    }
  })

  it('ww help start names both flags with their defaults', async () => {
    const help = (await ok(['help', 'start'])).replace(/\s+/g, ' ')
    assert.match(help, /--max-spare-instances <n> spare instances kept \(maxSpareInstances\).*\(default: "32"\)/)
    assert.match(help, /--spare-memory <size> linear memory the spare instances may hold together \(spareMemoryBytes.*\(default: "4m"\)/)
  })
})
