import { Command, Option } from 'commander'
import { collect, homeOption } from './home-option.js'
import { version } from './version.js'

interface StartFlags {
  home?: string
  ns: string
  listen?: string[]
  bootstrap?: string[]
  mdns: boolean
  meta?: string[]
  ttl: string
  json?: boolean
}

type NodeModules = typeof import('../src/host/node.js') & typeof import('../src/host/home.js')

/**
 * Only `start` pays for libp2p: the node is loaded here, from the compiled tree next to this file's
 * directory (dist/src), by URL so the client bundle (dist/cli) does not take it in. libp2p needs
 * Promise.withResolvers, which Node 20 lacks: the polyfill goes first.
 */
async function loadNode (): Promise<NodeModules> {
  const from = (path: string): string => new URL(path, import.meta.url).href
  await import(from('../src/polyfill.js'))
  const [node, home] = await Promise.all([import(from('../src/host/node.js')), import(from('../src/host/home.js'))])
  return { ...node, ...home }
}

export function startCommand (): Command {
  return new Command('start')
    .description('start a node and join the cluster; runs until SIGINT/SIGTERM, then leaves gracefully')
    .addOption(homeOption())
    .option('--ns <name>', 'cluster namespace', 'ww')
    .option('--listen <multiaddr>', 'listen address, repeatable (default: /ip4/0.0.0.0/tcp/0)', collect)
    .option('--bootstrap <multiaddr>', 'peer to join through, with /p2p/<peer ID>; repeatable', collect)
    .option('--no-mdns', 'do not discover peers on the LAN with mDNS')
    .option('--meta <k=v>', 'tag this host, repeatable (see ww ls --where)', collect)
    .addOption(new Option('--ttl <seconds>', 'heartbeat time to live: others drop this host this long after its last heartbeat').default('10'))
    .option('--json', 'print the peer ID and addresses as JSON')
    .action(async (flags: StartFlags) => {
      const ttl = Number(flags.ttl)
      if (!Number.isFinite(ttl) || ttl <= 0) throw new Error(`--ttl must be a positive number of seconds, got ${flags.ttl}`)
      const { WwNode, resolveHome } = await loadNode()
      const node = await WwNode.start({
        home: resolveHome(flags.home),
        namespace: flags.ns,
        listen: flags.listen,
        bootstrap: flags.bootstrap,
        mdns: flags.mdns,
        meta: flags.meta,
        ttlMs: Math.round(ttl * 1000),
        version
      })
      const addrs = node.cluster.addrs()
      if (flags.json === true) {
        process.stdout.write(JSON.stringify({ peer: node.peerId, addrs }) + '\n')
      } else {
        process.stdout.write(`peer ${node.peerId}\n`)
        for (const a of addrs) process.stdout.write(`listen ${a}\n`)
      }
      await new Promise<void>(resolve => {
        const stop = (): void => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          resolve()
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      })
      await node.stop()
    })
}
