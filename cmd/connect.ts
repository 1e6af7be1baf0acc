import { Command } from 'commander'
import { hostLimits } from '../src/host/limits.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'

export function connectCommand (): Command {
  return new Command('connect')
    .summary('dial a peer from the running node')
    .description(`dial a peer from the local node and print its peer ID (gives up after ${hostLimits.connectTimeoutMs / 1000} s); the node joins that peer's cluster if they share a namespace`)
    .argument('<multiaddr>', 'the peer\'s address, e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW... (/p2p/<peer ID> optional)')
    .addOption(homeOption())
    .action(async (addr: string, flags: { home?: string }) => {
      const peer = await withHost(flags.home, async host => {
        using ans = host.connect(p => { p.addr = addr })
        return (await ans).peer
      })
      process.stdout.write(`${peer}\n`)
    })
}
