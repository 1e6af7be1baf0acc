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
      // Loaded here, not at the top: only `start` pays for libp2p.
      const { WwNode } = await import('../src/host/node.js')
      const { resolveHome } = await import('../src/host/home.js')
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
