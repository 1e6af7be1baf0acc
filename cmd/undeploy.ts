// ww undeploy: end a deployment everywhere.
import { Command } from 'commander'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'

export function undeployCommand (): Command {
  return new Command('undeploy')
    .summary('end a deployment: every host stops its replicas')
    .description('end deployment NAME: every host stops its replicas, and the cluster keeps a tombstone so an older record of it ' +
      'never brings it back. A name that is not deployed is an error (exit 3)')
    .argument('<name>', 'the deployment')
    .addOption(homeOption())
    .action(async (name: string, flags: { home?: string }) => {
      await withHost(flags.home, async host => {
        using d = host.deployments()
        using ans = d.pipeline.deployments.undeploy(p => { p.name = name })
        await ans
      })
    })
}
