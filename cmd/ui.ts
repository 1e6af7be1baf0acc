// ww ui: the URL of the running node's web console (ww start --ui), token included. Opens nothing by itself.
import { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { NotFound } from '../src/errors.js'
import { resolveHome } from '../src/host/home.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'

export function uiCommand (): Command {
  return new Command('ui')
    .summary('print the URL of the running node\'s web console')
    .description('print the URL of the running node\'s web console (started with ww start --ui), with its token; ' +
      'whoever has the URL may do what the owner may, so share it as you would the API socket. Opens nothing by itself')
    .addOption(homeOption())
    .action(async (flags: { home?: string }) => {
      const home = resolveHome(flags.home)
      // Asked of the node first: a URL file is only worth printing while its node runs.
      await withHost(flags.home, async host => {
        using ans = host.info()
        await ans
      })
      const url = await readFile(home.uiUrl, 'utf8').catch(() => {
        const start = flags.home === undefined ? 'ww start --ui' : `ww start --ui --home ${flags.home}`
        throw new NotFound(`the node at ${home.dir} runs without the web console; stop it and start it with '${start}'`)
      })
      process.stdout.write(url.trim() + '\n')
    })
}
