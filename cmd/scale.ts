// ww scale: change how many replicas a deployment runs.
import { Command } from 'commander'
import { deployLimits } from '../src/cluster/deployments/limits.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'
import { parseReplicas } from './replicas-arg.js'
import { printVersion } from './version-text.js'

export function scaleCommand (): Command {
  return new Command('scale')
    .summary('change how many replicas a deployment runs')
    .description('set deployment NAME to N replicas (0 keeps it with none running), from any host of the cluster: the hosts start or stop ' +
      'replicas to match. Prints NAME and the new version (as ww deploy does). A name that is not deployed is an error (exit 3)')
    .argument('<name>', 'the deployment')
    .argument('<n>', `the replicas, 0 to ${deployLimits.maxReplicas} (maxReplicas)`)
    .addOption(homeOption())
    .option('--json', 'print {"name", "version"} with the version as its exact number (milliseconds)')
    .action(async (name: string, n: string, flags: { home?: string, json?: boolean }) => {
      const replicas = parseReplicas(n)
      const version = await withHost(flags.home, async host => {
        using d = host.deployments()
        using ans = d.pipeline.deployments.scale(p => { p.name = name; p.replicas = replicas })
        return (await ans).version
      })
      printVersion(name, Number(version), flags.json === true)
    })
}
