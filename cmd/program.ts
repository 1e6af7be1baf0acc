// The `ww` command line: every command, and how a run ends (exit codes, one-line errors).
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

function program (): Command {
  const ww = new Command()
    .name('ww')
    .description('A peer-to-peer cluster node: join a cluster, share capabilities through anchors, run WASM procs.')
    .version(version, '-V, --version', 'print the version and exit')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.split('\n')[0].replace(/^error: /, 'ww: ') + '\n') })
  ww.addCommand(startCommand())
  ww.addCommand(idCommand())
  ww.addCommand(lsCommand())
  ww.addCommand(pubCommand())
  ww.addCommand(subCommand())
  for (const c of [runCommand(), psCommand(), killCommand()]) ww.addCommand(c)
  for (const c of [mkchanCommand(), sendCommand(), recvCommand(), storeCommand(), loadCommand(), rmCommand()]) ww.addCommand(c)
  return ww
}

/** Runs `ww` with `args` (the arguments after the program name). */
export async function runWw (args: string[]): Promise<void> {
  // Output piped into a reader that stopped (`ww ls / | head -1`): nothing more to say.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(0)
  })
  try {
    await program().parseAsync(args, { from: 'user' })
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode)
    process.stderr.write(`ww: ${(err as Error).message}\n`)
    process.exit(1)
  }
}
