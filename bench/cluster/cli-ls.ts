// Wall time of `bin/ww ls / --home H` against a running node (`bin/ww start --home H --no-mdns --listen ...`),
// with a bare `node -e ''` measured in the same run as the reference, so the report shows how much of `ww ls`
// is node's own start-up and how much is ww (starting from its startup snapshot, and the call).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const ww = join(root, 'bin/ww')

function wallMs (cmd: string, args: string[]): number {
  const t = performance.now()
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  const ms = performance.now() - t
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
  return ms
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

export interface CliLsResult { lsMs: number, nodeMs: number, hosts: number }

export async function cliLsMs (runs = 10): Promise<CliLsResult> {
  const home = await mkdtemp(join(tmpdir(), 'ww-bench-cli-'))
  const node = spawn(ww, ['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    const deadline = Date.now() + 30_000
    while (!existsSync(join(home, 'api.sock'))) {
      if (node.exitCode !== null || Date.now() > deadline) throw new Error('ww start did not come up')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    const out = spawnSync(ww, ['ls', '/', '--home', home], { encoding: 'utf8' })
    if (out.status !== 0) throw new Error(`ww ls failed: ${out.stderr}`)
    const hosts = out.stdout.trim().split('\n').filter(l => l.startsWith('/')).length
    const ls: number[] = []
    const bare: number[] = []
    for (let i = 0; i < runs; i++) {
      ls.push(wallMs(ww, ['ls', '/', '--home', home]))
      bare.push(wallMs(process.execPath, ['-e', '']))
    }
    return { lsMs: median(ls), nodeMs: median(bare), hosts }
  } finally {
    node.kill('SIGTERM')
    await new Promise(resolve => node.once('exit', resolve))
    await rm(home, { recursive: true, force: true })
  }
}
