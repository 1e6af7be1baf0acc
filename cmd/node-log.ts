// What a running `ww start` says on stderr after its peer/listen lines: one line per event, "ww: " first.
// --quiet keeps only warnings and errors. DEBUG=ww:* adds the layers' debug logs (src/log.ts; libp2p's own through @libp2p/logger).
import { clusterLimits } from '../src/cluster/limits.js'
import type { NodeNotice } from '../src/host/node.js'

export type Level = 'info' | 'warn' | 'error'

export class NodeLog {
  constructor (private readonly quiet: boolean, private readonly write: (line: string) => void = l => { process.stderr.write(l) }) {}

  say (level: Level, text: string): void {
    if (level === 'info' && this.quiet) return
    this.write(`ww: ${text}\n`)
  }

  notice (n: NodeNotice, namespace: string): void {
    const [level, text] = describe(n, namespace)
    this.say(level, text)
  }
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`

function describe (n: NodeNotice, namespace: string): [Level, string] {
  switch (n.type) {
    case 'join': return ['info', `host ${n.peer} joined (${n.hostname})`]
    case 'leave':
      if (n.how === 'left') return ['info', `host ${n.peer} left`]
      if (n.how === 'expired') return ['info', `host ${n.peer} expired (no answer to probes within its TTL)`]
      return ['info', `host ${n.peer} restarted`]
    case 'bootstrap-failed':
      return ['warn', `cannot reach bootstrap peer ${n.addr}: ${n.reason}; retrying in ${seconds(n.retryMs)}, then less often (at most every ${seconds(clusterLimits.bootstrapRetryMaxMs)})`]
    case 'bootstrap-reached': return ['info', `reached bootstrap peer ${n.addr}`]
    case 'foreign-peer':
      return ['info', n.namespace !== undefined
        ? `peer ${n.peer} is in namespace '${n.namespace}', not '${namespace}': not joining it (start with --ns ${n.namespace} to)`
        : `peer ${n.peer} speaks no protocol of namespace '${namespace}' (not a ww node?): not joining it`]
    case 'handshake-failed': return ['info', `refused a connection from ${n.remote}: ${n.reason}`]
    case 'swarm-key-mismatch':
      return ['warn', n.direction === 'inbound'
        ? `refused a connection from ${n.remote}: it failed the swarm key check (the peer has no swarm key, or another one)`
        : `a connection to ${n.remote} failed the swarm key check (the peer has no swarm key, or another one)`]
    case 'record-full': return recordFull(n.endpoints, n.topics)
    case 'rpc-aborted': return ['error', `aborted an RPC connection from ${n.peer}: ${n.reason}; the node goes on`]
    case 'module-mismatch':
      return ['error', `refused module bytes from ${n.from}: they do not match module ${n.hash}, the one asked for` +
        (n.unsaid > 0 ? ` (${n.unsaid} more such events since the last line)` : '')]
  }
}

/** What this host's record leaves out (maxHeartbeatBytes), or that it holds everything again. */
function recordFull (endpoints: string[], topics: number): [Level, string] {
  if (endpoints.length === 0 && topics === 0) return ['info', 'this host\'s record holds all its endpoint names and topics again']
  const what = [
    ...(endpoints.length > 0 ? [`endpoint name${endpoints.length === 1 ? '' : 's'} ${endpoints.join(', ')}`] : []),
    ...(topics > 0 ? [`${topics} topic${topics === 1 ? '' : 's'}`] : [])
  ].join(' and ')
  return ['warn', `this host's record is full (maxHeartbeatBytes, ${clusterLimits.maxHeartbeatBytes / 1024} KiB): it leaves out ${what}, ` +
    'which other hosts then do not find here; unpublish some names, or use shorter ones or less --meta']
}
