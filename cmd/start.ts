import { Command } from 'commander'

export function startCommand (): Command {
  return new Command('start')
    .description('start a node and join the cluster (runs until SIGINT/SIGTERM)')
    .action(() => {
      process.stderr.write('ww start: the cluster node is not implemented yet\n')
      process.exitCode = 1
    })
}
