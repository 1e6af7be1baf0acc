import { Command, CommanderError } from 'commander'
import { version } from './version.js'
import { startCommand } from './start.js'
import { idCommand } from './id.js'
import { lsCommand } from './ls.js'
import { pubCommand, subCommand } from './pubsub.js'
import { loadCommand, mkchanCommand, rmCommand, storeCommand } from './anchor.js'
import { recvCommand, sendCommand } from './chan.js'
import { runCommand } from './run.js'
import { killCommand, psCommand } from './ps.js'

const program = new Command()
  .name('ww')
  .description('A peer-to-peer cluster node: join a cluster, share capabilities through anchors, run WASM procs.')
  .version(version, '-V, --version', 'print the version and exit')
  .showSuggestionAfterError(true)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.split('\n')[0].replace(/^error: /, 'ww: ') + '\n') })

program.addCommand(startCommand())
program.addCommand(idCommand())
program.addCommand(lsCommand())
program.addCommand(pubCommand())
program.addCommand(subCommand())
for (const c of [runCommand(), psCommand(), killCommand()]) program.addCommand(c)
for (const c of [mkchanCommand(), sendCommand(), recvCommand(), storeCommand(), loadCommand(), rmCommand()]) program.addCommand(c)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode)
  process.stderr.write(`ww: ${(err as Error).message}\n`)
  process.exit(1)
}
