import { Command } from 'commander'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'

export function idCommand (): Command {
  return new Command('id')
    .summary('print this node\'s peer ID')
    .description('print the local node\'s peer ID (one line, so A=$(ww id) works)')
    .addOption(homeOption())
    .option('--addrs', 'print its listen addresses instead, one per line (with /p2p/<peer ID>)')
    .option('--json', 'print the peer ID, addresses, namespace, hostname, meta and version as JSON')
    .action(async (flags: { home?: string, json?: boolean, addrs?: boolean }) => {
      await withHost(flags.home, async host => {
        using ans = host.info()
        const info = (await ans).info
        const out = {
          peer: info.peer,
          instance: info.instance.toString(16).padStart(16, '0'),
          hostname: info.hostname,
          namespace: info.namespace,
          addrs: [...info.addrs],
          meta: [...info.meta],
          version: info.version
        }
        if (flags.json === true) process.stdout.write(JSON.stringify(out) + '\n')
        else if (flags.addrs === true) for (const a of out.addrs) process.stdout.write(`${a}\n`)
        else process.stdout.write(`${out.peer}\n`)
      })
    })
}
