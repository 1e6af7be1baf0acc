// ww endpoints [NAME]: the named endpoints of the cluster.
import { Command } from 'commander'
import { checkEndpointName } from '../src/cluster/endpoint-names.js'
import { clusterLimits } from '../src/cluster/limits.js'
import { hostLimits } from '../src/host/limits.js'
import { errorFromReason } from '../src/errors.js'
import { withHost } from './client.js'
import { exitCodeOf } from './exit-codes.js'
import { oneLine } from './one-line.js'
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
      `and ${hostLimits.maxEndpointsPerName} endpoints per name (maxEndpointsPerName). ` +
      `With NAME, a host whose record lists the name but that refuses this host, fails, or does not answer within ${hostLimits.endpointListTimeoutMs / 1000} s (endpointListTimeoutMs) ` +
      'is left out with one line on stderr ("skipped host PEER: why"), the rest listed, and the exit code says why (4 refused, 69 no answer). ' +
      `A host whose record cannot hold all its names (maxHeartbeatBytes, ${clusterLimits.maxHeartbeatBytes / 1024} KiB) advertises those that fit and warns on its own stderr naming the others, which other hosts then do not find`)
    .argument('[name]', 'an endpoint name')
    .addOption(homeOption())
    .option('--json', 'print JSON: without NAME one array of {name, hosts}; with NAME one object {endpoints: [{peer, pid, id, ageMs}], ' +
      'leftOut: [{peer, reason}]} (leftOut: the hosts skipped, reason as "Type: message")')
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
        const answer = await ans
        const list = [...answer.endpoints].map(e => ({ peer: e.peer, pid: e.pid, id: Number(e.id), ageMs: Number(e.ageMs) }))
        const leftOut = [...answer.leftOut].map(l => ({ peer: l.peer, reason: l.reason }))
        if (flags.json === true) process.stdout.write(JSON.stringify({ endpoints: list, leftOut }) + '\n')
        else if (list.length > 0) process.stdout.write(table([['PEER', 'PID', 'AGE'], ...list.map(e => [e.peer, String(e.pid), duration(e.ageMs)])]))
        const errors = leftOut.map(l => errorFromReason(l.reason))
        leftOut.forEach((l, i) => { process.stderr.write(`ww: skipped host ${l.peer}: ${oneLine(errors[i].message)}\n`) })
        if (errors.length > 0) process.exitCode = exitCodeOf(errors[0])
      })
    })
}
