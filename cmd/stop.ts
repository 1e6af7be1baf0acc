import { Command } from 'commander'
import { Timeout } from '../src/errors.js'
import { hostLimits } from '../src/host/limits.js'
import { resolveHome } from '../src/host/home.js'
import { processRuns } from '../src/host/lock.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'

export function stopCommand (): Command {
  return new Command('stop')
    .summary('stop the running node gracefully')
    .description(`stop the local node gracefully (it leaves the cluster, then exits); returns once its process is gone (waits at most ${hostLimits.stopWaitMs / 1000} s)`)
    .addOption(homeOption())
    .action(async (flags: { home?: string }) => {
      const pid = await withHost(flags.home, async host => {
        using ans = host.stop()
        return (await ans).pid
      })
      const deadline = Date.now() + hostLimits.stopWaitMs
      while (processRuns(pid)) {
        if (Date.now() > deadline) {
          throw new Timeout(`the node at ${resolveHome(flags.home).dir} (pid ${pid}) is still running ${hostLimits.stopWaitMs / 1000} s after it was asked to stop; 'kill -9 ${pid}' ends it`)
        }
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    })
}
