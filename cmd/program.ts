// The `ww` command line: every command, and how a run ends (exit codes, one-line errors).
import { Command, CommanderError } from 'commander'
import { version } from './version.js'
import { startCommand } from './start.js'
import { stopCommand } from './stop.js'
import { connectCommand } from './connect.js'
import { idCommand } from './id.js'
import { lsCommand } from './ls.js'
import { pubCommand, subCommand } from './pubsub.js'
import { loadCommand, mkchanCommand, rmCommand, storeCommand } from './anchor.js'
import { recvCommand, sendCommand } from './chan.js'
import { endpointsCommand } from './endpoints.js'
import { runCommand } from './run.js'
import { killCommand, psCommand } from './ps.js'
import { logsCommand } from './logs.js'
import { waitCommand } from './wait.js'
import { keyCommand } from './key.js'
import { signCommand } from './sign.js'
import { uiCommand } from './ui.js'
import { deployCommand } from './deploy.js'
import { scaleCommand } from './scale.js'
import { undeployCommand } from './undeploy.js'
import { deploymentsCommand } from './deployments.js'
import { EXIT, exitCodeOf } from './exit-codes.js'
import { oneLine } from './one-line.js'

function program (): Command {
  const ww = new Command()
    .name('ww')
    .description('A peer-to-peer cluster node: join a cluster, share capabilities through anchors, run WASM procs.')
    .version(version, '-V, --version', 'print the version and exit')
    .addHelpText('after', `
'ww help COMMAND' shows a command's options. Every command but start talks to the node at --home
(default $WW_HOME, else ~/.ww). Errors are one "ww: " line on stderr. Exit codes: ${EXIT.ok} success,
${EXIT.failed} failure, ${EXIT.usage} usage, ${EXIT.notFound} not found, ${EXIT.permission} permission denied, ${EXIT.exists} already exists, ${EXIT.unavailable} no node or peer
went away, ${EXIT.timeout} timed out; ww run and ww wait: the guest's code, 125 trapped, 137 killed.`)
  ww.addCommand(startCommand())
  ww.addCommand(stopCommand())
  ww.addCommand(connectCommand())
  ww.addCommand(idCommand())
  ww.addCommand(lsCommand())
  ww.addCommand(pubCommand())
  ww.addCommand(subCommand())
  for (const c of [runCommand(), psCommand(), killCommand()]) ww.addCommand(c)
  ww.addCommand(logsCommand())
  ww.addCommand(waitCommand())
  ww.addCommand(keyCommand())
  ww.addCommand(signCommand())
  ww.addCommand(uiCommand())
  for (const c of [deployCommand(), scaleCommand(), undeployCommand(), deploymentsCommand()]) ww.addCommand(c)
  for (const c of [mkchanCommand(), sendCommand(), recvCommand(), storeCommand(), loadCommand(), rmCommand()]) ww.addCommand(c)
  ww.addCommand(endpointsCommand())
  configure(ww)
  return ww
}

/** Every command, subcommands too, reports a usage error as one "ww: ..." line and throws instead of exiting. */
function configure (cmd: Command): void {
  cmd.showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => { write(`ww: ${oneLine(text.replace(/^error: /, ''))}\n`) } })
  for (const sub of cmd.commands) configure(sub)
}

/** Commander's own ends that are not errors. */
const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help'])

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
    if (err instanceof CommanderError) process.exit(COMMANDER_OK.has(err.code) ? EXIT.ok : EXIT.usage)
    process.stderr.write(`ww: ${oneLine((err as Error).message)}\n`)
    process.exit(exitCodeOf(err))
  }
}
