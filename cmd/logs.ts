// ww logs: what a proc wrote to stdout and stderr, as its host keeps it (the last logBytes of each
// stream), to this process's stdout and stderr; -f follows until the proc ends.
import { Command } from 'commander'
import { DEFAULT_RUNTIME_LIMITS } from '../src/proc/limits.js'
import { OutputStream } from '../src/schema/proc.js'
import type { ProcClient } from '../src/schema/proc.rpc.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'
import { parseProcId, procFor } from './proc-ref.js'

const kept = `${DEFAULT_RUNTIME_LIMITS.logBytes / 1024 / 1024} MiB`

export function logsCommand (): Command {
  return new Command('logs')
    .summary('print what a proc wrote (-f: follow)')
    .description(`print what a proc wrote: its stdout to stdout, its stderr to stderr. Its host keeps the last ${kept} of each ` +
      'stream (of procs run with and without -d, while ww ps lists them); when older output was dropped, one line on stderr says how much')
    .argument('<id>', 'the proc: <peer>/<pid> as ww ps and ww run -d print it, or a bare pid of this host')
    .addOption(homeOption())
    .option('-f, --follow', 'go on printing what it writes until it ends')
    .action(async (id: string, flags: { home?: string, follow?: boolean }) => {
      const ref = parseProcId(id)
      await withHost(flags.home, async host => {
        using proc = await procFor(host, ref)
        const follow = flags.follow === true
        await Promise.all([
          copyLog(proc, OutputStream.STDOUT, process.stdout, follow, `proc ${id}'s stdout`),
          copyLog(proc, OutputStream.STDERR, process.stderr, follow, `proc ${id}'s stderr`)
        ])
      })
    })
}

/** Copies one stream of the proc's log to `to`: what is there now, or (follow) until the proc ends. */
async function copyLog (proc: ProcClient, stream: OutputStream, to: NodeJS.WriteStream, follow: boolean, what: string): Promise<void> {
  let from = 0
  for (;;) {
    const r = await proc.log(p => { p.stream = stream; p.from = BigInt(from); p.wait = follow })
    const start = Number(r.start)
    if (start > from) {
      process.stderr.write(`ww: ${start - from} earlier bytes of ${what} were dropped (a host keeps the last ${kept} of each stream)\n`)
    }
    const data = r._hasData() ? r.data.toUint8Array().slice() : new Uint8Array(0)
    if (data.byteLength > 0 && !to.write(data)) await new Promise(resolve => to.once('drain', resolve))
    from = start + data.byteLength
    const end = Number(r.end)
    if (from >= end && (!follow || r.ended)) return
  }
}
