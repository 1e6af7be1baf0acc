// The library: `import { startNode, connect } from 'ww'`. A node started in this process takes the options
// of `ww start` (the same flags, camelCased, the same defaults and checks); a client of a running node gets
// its owner Host capability through the API socket, as the ww commands do. Importing this module starts
// nothing and loads no libp2p: startNode loads the node when called.
import { connectApi } from '../cmd/client.js'
import { nodeOptions, startDefaults, startInProcess, type StartFlags } from '../cmd/start.js'
import type { QuotaFlags } from '../cmd/quota-options.js'
import type { NodeNotice } from '../src/host/node.js'
import type { HostClient } from '../src/schema/host.rpc.js'

/** Flags of `ww start` that take a number (given as a number or as the text the flag takes, e.g. '64m'). */
type NumericFlag = 'ttl' | 'maxStoredBytes' | 'maxBufferedBytes' | 'maxModuleCache' | 'modulePreparations' | 'maxSpareInstances' | 'spareMemory' | keyof QuotaFlags

/**
 * The options of `ww start` (ww help start), camelCased: `listen: ['/ip4/127.0.0.1/tcp/0']` is `--listen ...`,
 * `mdns: false` is `--no-mdns`, `maxProcs: 100` is `--max-procs 100`, `metrics: ':9464'` is `--metrics :9464`.
 * What is left out takes the flag's default. `onNotice` hears what `ww start` prints on stderr (hosts
 * joining and leaving, refused connections, errors the node survives).
 */
export type StartOptions = {
  [K in Exclude<keyof StartFlags, 'detach' | 'json' | 'quiet'>]?: K extends NumericFlag ? string | number : StartFlags[K]
} & { onNotice?: (notice: NodeNotice) => void }

/** A node running in this process. */
export interface RunningNode {
  readonly peerId: string
  /** Its libp2p listen addresses, with /p2p/<peer ID>. */
  readonly addrs: string[]
  /** The owner's Host capability (the API socket's, with stop and connect); the node keeps it: do not release it. */
  readonly host: HostClient
  /** Where /metrics is served, with the metrics option. */
  readonly metricsUrl: string | undefined
  /** Resolves when the owner asks the node to stop (`ww stop`, Host.stop): call stop() then. */
  readonly stopRequested: Promise<string>
  /** Leaves the cluster and stops everything the node runs (its procs, its API socket); safe to call twice. */
  stop: () => Promise<void>
  [Symbol.asyncDispose]: () => Promise<void>
}

/** Starts a node in this process. Throws what `ww start` reports: InvalidArgument for a bad option, NotFound for a missing file, ... */
export async function startNode (options: StartOptions = {}): Promise<RunningNode> {
  const { onNotice, ...given } = options
  const flags: StartFlags = { ...startDefaults() }
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined) (flags as unknown as Record<string, unknown>)[key] = typeof value === 'number' ? String(value) : value
  }
  const node = await startInProcess(nodeOptions(flags), onNotice)
  const stop = async (): Promise<void> => { await node.stop() }
  return {
    peerId: node.peerId,
    addrs: node.cluster.addrs(),
    host: node.host,
    metricsUrl: node.metricsUrl,
    stopRequested: node.stopRequested,
    stop,
    [Symbol.asyncDispose]: stop
  }
}

/** A client of a node's API socket. */
export interface NodeClient {
  /** The node's owner Host capability; close() releases it. */
  readonly host: HostClient
  /** The node's home directory. */
  readonly home: string
  /** Resolves when the connection ends (closed here, or the node stopped). */
  readonly closed: Promise<void>
  close: () => void
  [Symbol.dispose]: () => void
}

/**
 * Connects to the node running at `home` (default $WW_HOME, else ~/.ww) through its API socket, `<home>/api.sock`.
 * Fails with one error naming the home when no node runs there.
 */
export async function connect (options: { home?: string } = {}): Promise<NodeClient> {
  const { home, conn, host } = await connectApi(options.home)
  const close = (): void => {
    host.release()
    conn.close('closed by the client')
  }
  return { host, home: home.dir, closed: conn.closed, close, [Symbol.dispose]: close }
}

// The capabilities, as generated from schema/*.capnp: clients (call methods, release when done) and the
// server interfaces (Client.serve(impl) exports an object of yours as that capability).
export * from '../src/schema/anchor.rpc.js'
export * from '../src/schema/channel.rpc.js'
export * from '../src/schema/cluster.rpc.js'
export * from '../src/schema/host.rpc.js'
export * from '../src/schema/deploy.rpc.js'
export * from '../src/schema/endpoints.rpc.js'
export * from '../src/schema/executor.rpc.js'
export * from '../src/schema/metrics.rpc.js'
export * from '../src/schema/proc.rpc.js'
export * from '../src/schema/pubsub.rpc.js'
export { Capability, Answer, type CallOptions, type CallContext } from '../src/rpc/index.js'
export {
  WwError, NotFound, Disconnected, Timeout, Closed, LimitExceeded, Canceled, InvalidArgument, AlreadyExists, Occupied,
  ModuleNotFound, Unimplemented, PermissionDenied, Unavailable
} from '../src/errors.js'
export type { NodeNotice } from '../src/host/node.js'
