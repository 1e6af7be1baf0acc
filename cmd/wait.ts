// ww wait: waits for a proc to end and exits as ww run would have.
import { Command } from 'commander'
import { readExitStatus } from '../src/caps/proc-status.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'
import { endLike, RUN_EXIT_HELP } from './proc-exit.js'
import { parseProcId, procFor, procId } from './proc-ref.js'

export function waitCommand (): Command {
  return new Command('wait')
    .summary('wait for a proc to end; exit with its code')
    .description('wait for a proc to end (at once if it has) and exit with its exit code, as ww run would; a guest that did not exit by itself ' +
      `prints one line to stderr and ends ww wait with ${RUN_EXIT_HELP}`)
    .argument('<id>', 'the proc: <peer>/<pid> as ww ps and ww run -d print it, or a bare pid of this host')
    .addOption(homeOption())
    .action(async (id: string, flags: { home?: string }) => {
      const ref = parseProcId(id)
      const end = await withHost(flags.home, async host => {
        using proc = await procFor(host, ref)
        using waited = proc.wait()
        const st = readExitStatus((await waited).status)
        if (st.reason === 'exited') return { id, st }
        using info = proc.info()
        return { id: procId((await info).info), st }
      })
      endLike(end.id, end.st)
    })
}
