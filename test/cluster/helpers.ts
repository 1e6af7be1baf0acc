import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { heartbeatWire } from '../../src/caps/heartbeat.js'
import { ClusterNode, type ClusterNodeOptions } from '../../src/cluster/index.js'
import { eventually, patienceMs } from '../waiting.js'

export { patienceMs }

/** A fresh temporary directory; removed by cleanup(). */
export async function tempDir (prefix = 'ww-cluster-'): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix))
}

export async function removeDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/** Polls `cond` until it is true or `timeoutMs` (default: the tests' patience) passes; returns the elapsed milliseconds. */
export async function waitFor (cond: () => boolean, timeoutMs = patienceMs, what = 'condition'): Promise<number> {
  return await eventually(what, cond, timeoutMs)
}

/** Nodes on 127.0.0.1 with separate homes, mDNS off, each bootstrapped to the first. */
export class LocalCluster {
  readonly nodes: ClusterNode[] = []
  private readonly dirs: string[] = []

  async add (options: Partial<ClusterNodeOptions> = {}): Promise<ClusterNode> {
    const home = options.home ?? await tempDir()
    if (options.home === undefined) this.dirs.push(home)
    const first = this.nodes[0]
    const node = await ClusterNode.start({
      namespace: 'test',
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
      heartbeatWire,
      bootstrap: first !== undefined ? [first.addrs()[0]] : [],
      ...options,
      home
    })
    this.nodes.push(node)
    return node
  }

  async stop (): Promise<void> {
    await Promise.all(this.nodes.map(async n => await n.stop()))
    this.nodes.length = 0
    await Promise.all(this.dirs.map(removeDir))
  }
}

export function peersOf (node: ClusterNode): string[] {
  return node.ls().map(r => r.peer)
}
