import { Command } from 'commander'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'

export function idCommand (): Command {
  return new Command('id')
    .description('print the local node\'s peer ID and addresses')
    .addOption(homeOption())
    .option('--json', 'print as JSON')
    .action(async (flags: { home?: string, json?: boolean }) => {
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
        if (flags.json === true) {
          process.stdout.write(JSON.stringify(out) + '\n')
        } else {
          process.stdout.write(`${out.peer}\n`)
          for (const a of out.addrs) process.stdout.write(`${a}\n`)
        }
      })
    })
}
