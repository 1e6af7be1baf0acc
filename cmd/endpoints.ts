// ww endpoints [NAME]: the named endpoints of the cluster.
import { Command } from 'commander'
import { checkEndpointName } from '../src/cluster/endpoint-names.js'
import { clusterLimits } from '../src/cluster/limits.js'
import { hostLimits } from '../src/host/limits.js'
import { withHost } from './client.js'
import { homeOption } from './home-option.js'
import { duration, table } from './ps.js'

export function endpointsCommand (): Command {
  return new Command('endpoints')
    .summary('list named endpoints: every name, or the live endpoints of NAME')
    .description('Without NAME, list every endpoint name some live host serves, with how many hosts serve it. ' +
      'With NAME, list its live endpoints across the cluster: the host, the proc that published it (0: an API client) and its age. ' +
      'A proc publishes its channel under a name with ww_endpoint_publish; the endpoint ends when the proc ends, or its host dies or leaves (gone from lists at once, or within the TTL for a host killed). ' +
      `A host's record lists the names it serves; a name whose last endpoint there ended stays listed ${hostLimits.endpointNameLingerMs / 1000} s more (endpointNameLingerMs), with no endpoints. ` +
      'Send to one with "ww send --endpoint NAME". ' +
      `A name is 1 to ${clusterLimits.maxEndpointNameBytes} letters, digits, '.', '_' or '-' (maxEndpointNameBytes); a host serves at most ${clusterLimits.maxEndpointNames} names (maxEndpointNames) ` +
      `and ${hostLimits.maxEndpointsPerName} endpoints per name (maxEndpointsPerName); a host that does not answer a lookup within ${hostLimits.endpointListTimeoutMs / 1000} s is left out (endpointListTimeoutMs)`)
    .argument('[name]', 'an endpoint name')
    .addOption(homeOption())
    .option('--json', 'print one JSON array: {name, hosts} per name, or {peer, pid, id, ageMs} per endpoint')
    .action(async (name: string | undefined, flags: { home?: string, json?: boolean }) => {
      if (name !== undefined) checkEndpointName(name)
      await withHost(flags.home, async host => {
        using ep = host.endpoints(undefined, { onlyPipeline: true })
        if (name === undefined) {
          using ans = ep.pipeline.endpoints.names()
          const names = [...(await ans).names].map(n => ({ name: n.name, hosts: n.hosts }))
          if (flags.json === true) process.stdout.write(JSON.stringify(names) + '\n')
          else if (names.length > 0) process.stdout.write(table([['NAME', 'HOSTS'], ...names.map(n => [n.name, String(n.hosts)])]))
          return
        }
        using ans = ep.pipeline.endpoints.list(p => { p.name = name; p.here = false })
        const list = [...(await ans).endpoints].map(e => ({ peer: e.peer, pid: e.pid, id: Number(e.id), ageMs: Number(e.ageMs) }))
        if (flags.json === true) process.stdout.write(JSON.stringify(list) + '\n')
        else if (list.length > 0) process.stdout.write(table([['PEER', 'PID', 'AGE'], ...list.map(e => [e.peer, String(e.pid), duration(e.ageMs)])]))
      })
    })
}
