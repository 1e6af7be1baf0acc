import { Command, Option } from 'commander'
import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { DEFAULT_ANCHOR_LIMITS } from '../src/anchor/limits.js'
import { clusterLimits } from '../src/cluster/limits.js'
import { readSwarmKey, type SwarmKey } from '../src/cluster/swarm-key.js'
import { DEFAULT_CHAN_LIMITS } from '../src/csp/limits.js'
import { InvalidArgument, NotFound } from '../src/errors.js'
import { resolveHome } from '../src/host/home.js'
import { hostLimits } from '../src/host/limits.js'
import { parseListenAddress } from '../src/host/listen-address.js'
import type { NodeOptions, WwNode } from '../src/host/node.js'
import { Policy, formatRights, parseGrant, MEMBERS } from '../src/host/policy.js'
import { ALLOW_MODULES, ALLOW_SIGNERS, readPolicyFile } from '../src/host/policy-file.js'
import { parseModuleHash, parseSignerName } from '../src/host/module-rules.js'
import { DEFAULT_RUNTIME_LIMITS } from '../src/proc/limits.js'
import { MIN_WASM_OPT_VERSION, WASM_OPT_ENV } from '../src/proc/transform-native.js'
import { DETACHED_ENV, startDetached } from './detach.js'
import { EXIT } from './exit-codes.js'
import { collect, homeOption } from './home-option.js'
import { formatByteSize, parseByteSize } from './byte-size.js'
import { NodeLog } from './node-log.js'
import { parseQuotas, quotaOptions, type QuotaFlags } from './quota-options.js'
import { version } from './version.js'
import { parseUiAddress, UI_DEFAULT_HOST } from './ui-address.js'

export interface StartFlags extends QuotaFlags {
  home?: string
  ns: string
  listen?: string[]
  bootstrap?: string[]
  mdns: boolean
  meta?: string[]
  ttl: string
  json?: boolean
  quiet?: boolean
  detach?: boolean
  swarmKey?: string
  maxStoredBytes: string
  maxBufferedBytes: string
  policy?: string
  grant?: string[]
  allowModule?: string[]
  allowSigner?: string[]
  maxModuleCache: string
  modulePreparations: string
  maxSpareInstances: string
  spareMemory: string
  ui?: string | true
  metrics?: string
}

type NodeModules = typeof import('../src/host/node.js') & typeof import('../src/host/home.js')

let bundledNode: NodeModules | undefined

/** The node's modules, when they are bundled with the command line (cmd/start-entry.ts): loadNode returns them. */
export function useBundledNode (modules: NodeModules): void {
  bundledNode = modules
}

/**
 * Only `start` pays for libp2p: the node is loaded here, from the compiled tree next to this file's
 * directory (dist/src), by URL so the client bundle (dist/cli) does not take it in. libp2p needs
 * Promise.withResolvers, which Node 20 lacks: the polyfill goes first.
 */
async function loadNode (): Promise<NodeModules> {
  if (bundledNode !== undefined) return bundledNode
  const from = (path: string): string => new URL(path, import.meta.url).href
  await import(from('../src/polyfill.js'))
  const [node, home] = await Promise.all([import(from('../src/host/node.js')), import(from('../src/host/home.js'))])
  return { ...node, ...home }
}

const seconds = (ms: number): string => `${ms / 1000} s`

const afterHelp = `
After its "peer" and "listen" lines, a running node says on stderr, one "ww: " line each, when a host
joins or leaves the cluster ("left" when it said so, "expired" when it stopped answering probes), when a
bootstrap peer cannot be reached (it keeps retrying), when it refuses a connection (another namespace,
a failed encryption handshake, a peer that failed the swarm key check: once per peer), when it survives
an error, and when it stops. --quiet keeps only the warnings and errors. For details, set DEBUG:
DEBUG='ww:*' (every layer), DEBUG='ww:cluster*,ww:rpc' (some), DEBUG='ww:*,-ww:rpc' (all but one),
DEBUG='libp2p:*' (libp2p's own).

A private cluster: every node holds the same swarm key (make one with 'ww key swarm --out FILE'). With
--swarm-key FILE, or <home>/swarm.key when present, every connection is protected with it (libp2p pnet, the
kubo/go-libp2p key format) and peers without it, or with another key, cannot connect at all: no probe, no
RPC, no DHT, no mDNS-found link. The node says "private cluster: swarm key FILE (fingerprint ...)" on stderr,
never the key (the fingerprint is computed as go-libp2p's, which kubo prints). A malformed key file stops it
(exit 2), a missing --swarm-key file too (exit 3). A key file that group or others may read or write (mode
& 0077) gets one warning line, and the node starts all the same: make it private with 'chmod 600 FILE'.

Guests: the first run of a module on this host prepares it once (instruments it for suspension, fuel and the
memory limit; cached in <home>/modules) with the native wasm-opt of Debian package binaryen, version
${MIN_WASM_OPT_VERSION} or newer, found on PATH or named by ${WASM_OPT_ENV}=FILE; without one it uses binaryen.js, about twice as
slow, and says so once on stderr (${WASM_OPT_ENV}=none asks for binaryen.js without a word).

A stop (SIGINT, SIGTERM or 'ww stop') ends every API client's connection, leaves the cluster (the others
drop this host at once) and exits within ${seconds(hostLimits.stopDeadlineMs)}; a second SIGINT/SIGTERM exits at once.

Membership (SWIM): every host probes a member every TTL/${clusterLimits.probesPerTtl} (mostly those it is connected to); a member that
answers neither it nor ${clusterLimits.indirectProbes} others asked to try is suspected, and removed everywhere within the TTL unless it refutes. A host's
record (hostname, meta, addresses) is signed by it with the time it was signed, is at most ${clusterLimits.maxHeartbeatBytes / 1024} KiB, is
signed anew every ${seconds(clusterLimits.recordRefreshMs)}, and counts at most ${seconds(clusterLimits.recordLifetimeMs)} + ${seconds(clusterLimits.maxClockSkewMs)} (the clock skew allowed
between hosts) after that time, whoever hands it on. It also lists the host's endpoint names and topics: those that
do not fit beside the rest are left out (the last names in order first), with a warning naming them.
A node lists at most ${clusterLimits.maxHosts} hosts; a peer may vouch for at most ${clusterLimits.maxVouchedPerPeer} hosts the node has not heard from
directly, and those are not handed on to others until heard directly.

What a remote peer may do is what the node's policy grants it: 'read' (info, the cluster view, pubsub,
ls/walk/lookup/load of bytes and anchors), 'write' (store, rm, mkchan, and loading a channel, so send and
recv through it), 'exec' (run, ps, kill, and loading a proc). By default, with a swarm key every member has
all three; without one, remote peers may only read. The policy file (--policy FILE, default
<home>/policy.toml; a TOML subset) grants rights to all members and per peer ID, a peer's own line replacing
the members' one:
    members = ["read"]
    [peers]
    12D3KooWAbc = ["read", "exec"]    # a peer ID
--grant PEER=RIGHTS (PEER a peer ID or '${MEMBERS}', RIGHTS e.g. read,exec or none; repeatable) overrides the
file. A call beyond a peer's rights fails PermissionDenied naming the missing right (exit 4 in the CLI).
The local API socket is the owner and may do everything: the home must not be writable by others (the
node refuses it, exit 4), and the socket is made 0600.
SIGHUP (kill -HUP $(cat <home>/ww.pid)) makes a running node read its policy again, file and flags as at start,
and say "policy reloaded: ..." (or, for a file it cannot read or parse, "policy not reloaded", keeping the one in
force). Connections of peers whose rights or module rules changed are closed, so their next call is served under
the new policy; procs they already started keep running. (So a node in a terminal does not end on SIGHUP.)

Which modules a remote peer may run (spawns of its own, and of its procs' children, on this host): by
default any. The policy file's ${ALLOW_MODULES} (SHA-256 hashes, as sha256sum prints them) and ${ALLOW_SIGNERS}
(Ed25519 keys, as 'ww key signer' prints them) restrict the members to modules on the first list or signed
('ww sign') by a key on the second; a section [modules.PEER] with the same keys replaces them for one peer
(with neither key: any module):
    ${ALLOW_SIGNERS} = ["ed25519:3b6a27bc..."]
    [modules.12D3KooWAbc]
    ${ALLOW_MODULES} = ["9f86d081884c7d65..."]
--allow-module HASH and --allow-signer KEY (repeatable) add to the members' lists. A host checks a module
before it fetches or prepares it; a refused one fails PermissionDenied naming the module and what it lacks
(exit 4). The owner and the procs it runs may run any module. A remote peer (itself or through its procs)
may make this host fetch and prepare at most --module-preparations new modules a minute (then
LimitExceeded); bytes that do not match the module asked for are refused and their sender logged.
Prepared modules are kept in <home>/modules up to --max-module-cache bytes, least recently used evicted.
After a proc of a module has run its first slice, the node instantiates one more instance of that module ahead
(a spare), which the module's next spawn takes instead of instantiating: at most --max-spare-instances spares
(0 = none), holding at most --spare-memory of linear memory together; modules with a wasm start section get none.

The web console (--ui): one page that shows, live, the cluster's hosts (a picture and a table, a host that left
shown gone), every host's procs with their state, limits and uptime (kill from there) and any host's anchors
(bytes as text and hex, channels with their fill). It reaches this node as its owner does (the API socket's
Host) over a WebSocket, and only with this start's token: the URL carries it after '#', which a browser never
sends, and the page hands it over when it opens the WebSocket. A request from another site's page (its Origin),
or naming the node by a DNS name rather than an IP address or localhost, is refused before any call. At most
${hostLimits.uiConnectionsMax} console connections at once (uiConnectionsMax); a page that reads more slowly than the node
writes to it (over ${hostLimits.uiBufferedBytesMax >> 20} MiB waiting, uiBufferedBytesMax) is disconnected, with a reason it shows.
The console is plain HTTP: give --ui an address other than loopback only on a network you trust. 'ww ui'
prints the URL again.

Quotas keep the node serving whatever its guests do. Each proc is charged to an account: a spawn through a
peer's connection to that peer (for a host spawning its guests' children here, that host), one through the API
socket to the owner, and a guest's own spawns to the account of the guest that spawned it. The owner is bound
by the host-wide quotas (--max-procs, --max-guest-memory); a peer also by the per-peer ones (--max-procs-per-peer,
--max-guest-memory-per-peer, --spawn-rate with --spawn-burst). A spawn past one fails LimitExceeded naming the
quota, its value and the flag that raises it (exit 1; a guest's ww_spawn returns WW_ELIMIT); a proc's share is
given back when it ends. The memory counted is each proc's memory limit, what it may grow to (ww run --mem).

Metrics: --metrics ADDR serves the node's counters at http://ADDR/metrics in Prometheus text format (connections,
RPC calls and errors by method, channel messages, procs by state, spare instances, membership messages and size), to anyone who
can reach ADDR: no token, so give it a loopback or private address. The same counters are the Host capability's
metrics method (for peers with read).`

export function startCommand (): Command {
  const start = new Command('start')
    .summary('start a node and join the cluster')
    .description('start a node and join the cluster; runs until SIGINT/SIGTERM or \'ww stop\', then leaves gracefully')
    .addOption(homeOption())
    .option('--ns <name>', 'cluster namespace', 'ww')
    .option('--listen <multiaddr>', 'listen address, repeatable (default: /ip4/0.0.0.0/tcp/0)', collect)
    .option('--bootstrap <multiaddr>', 'peer to join through, with /p2p/<peer ID>; repeatable; retried until one answers', collect)
    .option('--no-mdns', 'do not discover peers on the LAN with mDNS')
    .option('--meta <k=v>', 'tag this host, repeatable (see ww ls --where)', collect)
    .addOption(new Option('--ttl <seconds>', `failure detection bound, ${seconds(clusterLimits.minTtlMs)} to ${seconds(clusterLimits.maxTtlMs)}: a host that stops answering probes is dropped by the others within this`).default('10'))
    .option('--swarm-key <file>', 'private cluster: protect every connection with this swarm key (default: <home>/swarm.key when present)')
    .addOption(new Option('--max-stored-bytes <size>', 'bytes all values stored at this host\'s anchors may hold together (maxStoredBytes); a store past it fails LimitExceeded; k, m, g suffixes').default(formatByteSize(DEFAULT_ANCHOR_LIMITS.maxStoredBytes)))
    .addOption(new Option('--max-buffered-bytes <size>', 'bytes all messages waiting in this host\'s channels may hold together (maxBufferedBytes); a send past it fails LimitExceeded').default(formatByteSize(DEFAULT_CHAN_LIMITS.maxBufferedBytes)))
    .option('--policy <file>', 'what remote peers may do (default: <home>/policy.toml when present; see below)')
    .option('--grant <peer=rights>', 'grant RIGHTS (read,write,exec or none) to PEER (a peer ID, or members for all); repeatable, overrides the policy file', collect)
    .option('--allow-module <sha256>', 'members may run this module (its SHA-256 in hex); repeatable; with it, only allowed modules run (see below)', collect)
    .option('--allow-signer <key>', 'members may run modules signed by this key (ed25519:<hex>, from ww key signer); repeatable', collect)
    .addOption(new Option('--module-preparations <n>', 'new modules one remote peer (itself or through its procs) may make this host fetch and prepare per minute (modulePreparationsPerMinute; the owner is exempt)').default(String(hostLimits.modulePreparationsPerMinute)))
    .addOption(new Option('--max-module-cache <size>', 'bytes <home>/modules (prepared modules) may hold (moduleCacheBytes); the least recently used modules not running are evicted past it').default(formatByteSize(DEFAULT_RUNTIME_LIMITS.moduleCacheBytes)))
    .addOption(new Option('--max-spare-instances <n>', 'spare instances kept (maxSpareInstances): one instantiated ahead for each recently spawned module, so its next spawn skips instantiating; 0 = none').default(String(DEFAULT_RUNTIME_LIMITS.maxSpareInstances)))
    .addOption(new Option('--spare-memory <size>', 'linear memory the spare instances may hold together (spareMemoryBytes; charged to no account); the least recently spawned modules\' spares go first').default(formatByteSize(DEFAULT_RUNTIME_LIMITS.spareMemoryBytes)))
    .option('--metrics <addr>', 'serve the node\'s counters in Prometheus text format at http://ADDR/metrics, without a token: give it a private address (HOST:PORT, or :PORT for 127.0.0.1; port 0 picks a free one, printed as a "metrics" line)')
  for (const o of quotaOptions()) start.addOption(o)
  return start
    .option('--json', 'print the peer ID and addresses as JSON')
    .option('-q, --quiet', 'after the peer/listen lines, print only warnings and errors')
    .option('--ui [addr]', `serve the web console on ADDR (PORT, HOST, HOST:PORT or [IPv6]:PORT; alone: ${UI_DEFAULT_HOST} on a free port) and print its URL, with this start's token, on stderr (also in <home>/ui.url, see ww ui)`)
    .option('-d, --detach', `run in the background, its output appended to <home>/ww.log; return once it answers (at most ${seconds(hostLimits.detachReadyMs)}) and, with --bootstrap, has joined (else warn after ${seconds(hostLimits.detachJoinMs)})`)
    .addHelpText('after', afterHelp)
    .action(async (flags: StartFlags) => {
      // Checked here, before a detached node starts: a bad flag or key file is one line and exit 2 either way.
      const options = nodeOptions(flags)
      if (options.swarmKey !== undefined) warnIfShared(options.swarmKey.file)
      if (flags.detach === true) await startDetached({ ...flags, swarmKey: options.swarmKey?.file })
      else await runNode(flags, options)
    })
}

/** The flags of `ww start` with their defaults (what commander fills in when a flag is not given). */
export function startDefaults (): StartFlags {
  return startCommand().opts<StartFlags>()
}

/** What `ww start` and the library's startNode give the node: the flags checked and parsed, the swarm key and policy read. */
export type StartNodeOptions = Omit<NodeOptions, 'home' | 'onNotice' | 'version'> & { home: string | undefined }

/** Checks and parses `flags` (InvalidArgument, NotFound naming the flag or file), reads the swarm key and policy files. */
export function nodeOptions (flags: StartFlags): StartNodeOptions {
  const ttlMs = parseTtl(flags.ttl)
  const quotas = parseQuotas(flags)
  const maxStoredBytes = parseByteSize(flags.maxStoredBytes, '--max-stored-bytes')
  const maxBufferedBytes = parseByteSize(flags.maxBufferedBytes, '--max-buffered-bytes')
  const maxModuleCacheBytes = parseByteSize(flags.maxModuleCache, '--max-module-cache')
  const modulePreparationsPerMinute = parsePreparations(flags.modulePreparations)
  const maxSpareInstances = parseSpareCount(flags.maxSpareInstances)
  const spareMemoryBytes = parseByteSize(flags.spareMemory, '--spare-memory')
  const metrics = flags.metrics === undefined ? undefined : parseListenAddress(flags.metrics, '--metrics')
  // The page is built beside the command line (dist/console; from dist/cmd or the dist/cli bundle alike).
  const ui = flags.ui === undefined ? undefined : { ...parseUiAddress(flags.ui), pageDir: new URL('../console/', import.meta.url) }
  const swarmKey = findSwarmKey(flags)
  return {
    home: flags.home,
    namespace: flags.ns,
    listen: flags.listen,
    bootstrap: flags.bootstrap,
    mdns: flags.mdns,
    meta: flags.meta,
    ttlMs,
    swarmKey,
    maxStoredBytes,
    maxBufferedBytes,
    maxModuleCacheBytes,
    modulePreparationsPerMinute,
    maxSpareInstances,
    spareMemoryBytes,
    policy: readPolicy(flags, swarmKey !== undefined),
    quotas,
    metrics,
    ui
  }
}

function parseTtl (text: string): number {
  const ms = Math.round(Number(text) * 1000)
  if (!/^\s*[0-9.]+\s*$/.test(text) || !Number.isFinite(ms) || ms < clusterLimits.minTtlMs || ms > clusterLimits.maxTtlMs) {
    throw new InvalidArgument(`--ttl must be a number of seconds from ${clusterLimits.minTtlMs / 1000} to ${clusterLimits.maxTtlMs / 1000}, got ${JSON.stringify(text)}`)
  }
  return ms
}

function parsePreparations (text: string): number {
  const n = Number(text)
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgument(`--module-preparations must be a whole number of modules a minute, at least 1, got ${JSON.stringify(text)}`)
  return n
}

function parseSpareCount (text: string): number {
  const n = Number(text)
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n)) throw new InvalidArgument(`--max-spare-instances must be a whole number of instances (0 for none), got ${JSON.stringify(text)}`)
  return n
}

/** --swarm-key FILE, else <home>/swarm.key when present, else none (an open cluster). */
function findSwarmKey (flags: StartFlags): SwarmKey | undefined {
  if (flags.swarmKey !== undefined) return readSwarmKey(resolve(flags.swarmKey))
  const file = resolveHome(flags.home).swarmKey
  return existsSync(file) ? readSwarmKey(file) : undefined
}

/** One line on stderr when others than the owner may read (or change) the swarm key file: whoever reads it can join. */
function warnIfShared (file: string): void {
  if (process.platform === 'win32') return
  const mode = statSync(file).mode & 0o777
  if ((mode & 0o077) === 0) return
  const octal = mode.toString(8).padStart(4, '0')
  process.stderr.write(`ww: warning: swarm key file ${file} has mode ${octal}, open to group or others: whoever can read it can join this private cluster; make it private with 'chmod 600 ${file}'\n`)
}

/** The defaults for the cluster, then the policy file (--policy, else <home>/policy.toml when present), then --grant. */
function readPolicy (flags: StartFlags, privateCluster: boolean): Policy {
  const file = flags.policy !== undefined ? resolve(flags.policy) : resolveHome(flags.home).policy
  if (flags.policy !== undefined && !existsSync(file)) throw new NotFound(`no policy file ${file}: check --policy`)
  const fromFile = readPolicyFile(file)
  const policy = Policy.defaults(privateCluster).with(fromFile.grants).with(new Map((flags.grant ?? []).map(parseGrant)))
    .withModules(fromFile.modules)
  const hashes = (flags.allowModule ?? []).map(h => parseModuleHash(h, '--allow-module'))
  const signers = (flags.allowSigner ?? []).map(k => parseSignerName(k, '--allow-signer'))
  if (hashes.length + signers.length === 0) return policy
  return policy.withModules(new Map([[MEMBERS, policy.memberModules.allowing(hashes, signers)]]))
}

/** One line saying what remote peers may do. */
function describePolicy (policy: Policy): string {
  const peers = [...policy.peers].map(([peer, rights]) => `, ${peer} ${formatRights(rights)}`).join('')
  return `policy: members ${formatRights(policy.members)}${peers}`
}

/** One line saying which modules remote peers may run, or none when any may run. */
function describeModules (policy: Policy): string | undefined {
  const peers = [...policy.peerModules].map(([peer, rules]) => `, ${peer} ${rules.describe()}`)
  if (!policy.memberModules.restricted && ![...policy.peerModules.values()].some(r => r.restricted)) return undefined
  return `modules: members ${policy.memberModules.describe()}${peers.join('')}`
}

/**
 * SIGHUP: reads the policy again, as at start (the file, then --grant, --allow-module, --allow-signer), and puts it
 * in force; one line says what it is now, or, when the file cannot be read or parsed, why the old one stays.
 */
function reloadPolicy (node: WwNode, flags: StartFlags, privateCluster: boolean, say: NodeLog): void {
  let policy: Policy
  try {
    policy = readPolicy(flags, privateCluster)
  } catch (err) {
    say.say('error', `policy not reloaded, the one in force stays: ${String((err as Error).message).split('\n')[0]}`)
    return
  }
  const closed = node.setPolicy(policy)
  const reconnect = closed.length === 0 ? '' : `; closed the connections of ${closed.length} peer${closed.length === 1 ? '' : 's'} it treats differently`
  say.say('info', `${describePolicy(policy).replace(/^policy: /, 'policy reloaded: ')}${reconnect}`)
  const modules = describeModules(policy)
  if (modules !== undefined) say.say('info', modules)
}

const signalNumber: Record<string, number> = { SIGINT: 2, SIGTERM: 15 }

/**
 * Resolves with the name of the first SIGINT or SIGTERM, or with `requested` (a stop asked through the API).
 * From then on, another SIGINT or SIGTERM calls `again` (installed in the same turn, so no signal falls through).
 */
async function stopAsked (requested: Promise<string>, again: (sig: NodeJS.Signals) => void): Promise<string> {
  return await new Promise<string>(resolve => {
    let asked = false
    const stopping = (why: string): void => {
      if (asked) return
      asked = true
      // Add before removing: a signal with no listener left stops being watched, and one pending then is lost.
      process.on('SIGINT', again)
      process.on('SIGTERM', again)
      process.off('SIGINT', first)
      process.off('SIGTERM', first)
      resolve(why)
    }
    const first = (sig: NodeJS.Signals): void => { stopping(sig) }
    process.on('SIGINT', first)
    process.on('SIGTERM', first)
    void requested.then(stopping)
  })
}

/** Starts the node in this process: the flags as nodeOptions() made them, `onNotice` told what it has to say. */
export async function startInProcess (options: StartNodeOptions, onNotice?: NodeOptions['onNotice']): Promise<WwNode> {
  const { WwNode, resolveHome } = await loadNode()
  return await WwNode.start({ ...options, home: resolveHome(options.home), version, onNotice })
}

async function runNode (flags: StartFlags, options: StartNodeOptions): Promise<void> {
  const say = new NodeLog(flags.quiet === true)
  const node = await startInProcess(options, n => { say.notice(n, flags.ns) })
  const { swarmKey, policy } = options
  const addrs = node.cluster.addrs()
  const metrics = node.metricsUrl
  if (flags.json === true) {
    process.stdout.write(JSON.stringify({ peer: node.peerId, addrs, ...(metrics === undefined ? {} : { metrics }) }) + '\n')
  } else {
    process.stdout.write(`peer ${node.peerId}\n`)
    for (const a of addrs) process.stdout.write(`listen ${a}\n`)
    if (metrics !== undefined) process.stdout.write(`metrics ${metrics}\n`)
  }
  if (node.ui !== undefined) {
    // Detached, stderr is the log file: the token stays in <home>/ui.url, and `ww start -d` prints the URL itself.
    const detached = process.env[DETACHED_ENV] === '1'
    process.stderr.write(detached ? `ui: ${node.ui.url.replace(/#.*$/, '')} (with the token in <home>/ui.url: ww ui prints it)\n` : `ui: ${node.ui.url}\n`)
  }
  if (swarmKey !== undefined) say.say('info', `private cluster: swarm key ${swarmKey.file} (fingerprint ${swarmKey.fingerprint})`)
  say.say('info', describePolicy(policy!))
  const modules = describeModules(policy!)
  if (modules !== undefined) say.say('info', modules)
  process.on('SIGHUP', () => { reloadPolicy(node, flags, swarmKey !== undefined, say) })
  // A stray rejection inside libp2p or a layer must not take the node down with it.
  process.on('unhandledRejection', (err: unknown) => {
    say.say('error', `internal error, the node goes on: ${String((err as Error)?.message ?? err).split('\n')[0]}`)
  })

  const why = await stopAsked(node.stopRequested, sig => {
    say.say('warn', `${sig} during the stop: exiting at once`)
    process.exit(128 + signalNumber[sig])
  })
  const started = Date.now()
  const deadline = setTimeout(() => {
    say.say('warn', `the stop (${why}) took over ${seconds(hostLimits.stopDeadlineMs)}: exiting without waiting for the rest`)
    process.exit(EXIT.failed)
  }, hostLimits.stopDeadlineMs)
  await node.stop()
  clearTimeout(deadline)
  say.say('info', `stopped (${why}) in ${Date.now() - started} ms: left the cluster`)
  process.exit(EXIT.ok)
}
