// Helpers of the deployment tests: a cluster of `ww start` processes and what `ww deployments --json` reports.
import { CliNode, eventually, ok, tempHome } from './cli-node.js'
import type { DeploymentJson } from '../../cmd/deployments.js'

export const TTL_S = 2

/** One more node tagged by `meta`, bootstrapped to `bootstrap` (not waited for: see converged). */
export async function join (meta: string[], bootstrap: string): Promise<CliNode> {
  return await CliNode.start(tempHome(), '--ttl', String(TTL_S), ...meta.flatMap(m => ['--meta', m]), '--bootstrap', bootstrap)
}

/** Nodes tagged by `meta` (one list each), the first bootstrapping the rest, once each lists all. */
export async function cluster (meta: string[][]): Promise<CliNode[]> {
  const first = await CliNode.start(tempHome(), '--ttl', String(TTL_S), ...meta[0].flatMap(m => ['--meta', m]))
  const rest = await Promise.all(meta.slice(1).map(async m => await CliNode.start(tempHome(), '--ttl', String(TTL_S), ...m.flatMap(x => ['--meta', x]), '--bootstrap', first.addrs[0])))
  const nodes = [first, ...rest]
  await converged(nodes)
  return nodes
}

export async function converged (nodes: CliNode[]): Promise<void> {
  for (const n of nodes) await eventually(async () => (await n.ls()).length === nodes.length, 60_000, `${nodes.length} hosts listed`)
}

export async function deployments (node: CliNode): Promise<DeploymentJson[]> {
  return JSON.parse(await ok(['deployments', '--json', '--home', node.home])) as DeploymentJson[]
}

/** Running replicas of `name` per host (peer ID → count), as the hosts report them to `node`. */
export async function runningPerHost (node: CliNode, name: string): Promise<Map<string, number>> {
  const d = (await deployments(node)).find(x => x.name === name)
  const out = new Map<string, number>()
  for (const r of d?.replicas ?? []) if (r.state === 'running') out.set(r.host, (out.get(r.host) ?? 0) + 1)
  return out
}

/** Waits until `node` reports `name` running exactly as `want` says (peer ID → replicas; a host missing = 0). */
export async function runsAs (node: CliNode, name: string, want: (counts: Map<string, number>) => boolean, what: string, timeoutMs = 60_000): Promise<Map<string, number>> {
  let last = new Map<string, number>()
  try {
    await eventually(async () => want(last = await runningPerHost(node, name)), timeoutMs, what)
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen ${JSON.stringify([...last])}`)
  }
  return last
}

export const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0)
