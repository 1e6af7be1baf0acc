// ww deploy: run a module as N replicas across the cluster, kept running by the live hosts.
import { createHash } from 'node:crypto'
import { Command } from 'commander'
import { InvalidArgument } from '../src/errors.js'
import { deployLimits } from '../src/cluster/deployments/limits.js'
import { hostLimits } from '../src/host/limits.js'
import { serveModuleSource } from '../src/caps/module-source.js'
import { Deployments_Deploy$Params$Caps } from '../src/schema/deploy.rpc.js'
import { parseByteSize } from './byte-size.js'
import { withHost } from './client.js'
import { collect, homeOption } from './home-option.js'
import { readModule } from './module-file.js'
import { printVersion } from './version-text.js'
import { parseReplicas } from './replicas-arg.js'

interface DeployFlags {
  home?: string
  replicas?: string
  where?: string[]
  spread?: string
  perHost?: boolean
  mem?: string
  fuel?: string
  timeout?: string
  env?: string[]
  root?: string
  json?: boolean
}

export function deployCommand (): Command {
  return new Command('deploy')
    .summary('run a module as N replicas across the cluster, kept running by the live hosts')
    .description('make (or replace) deployment NAME: FILE run as --replicas N procs over the live hosts that match --where, placed by every ' +
      'host alike with no leader (rendezvous hashing, as even as it can be). A replica that ends is restarted after a delay that doubles ' +
      `from ${hostLimits.deployRestartMinMs / 1000} s to ${hostLimits.deployRestartMaxMs / 1000} s (deployRestartMinMs, deployRestartMaxMs), ` +
      `and starts over once a replica ran ${hostLimits.deployRestartResetMs / 1000} s (deployRestartResetMs); a host that leaves has its replicas started elsewhere. ` +
      'Every replica gets WW_DEPLOYMENT=NAME and WW_REPLICA=<index> in its environment. With no matching host the deployment is kept and ' +
      'shown unplaceable, and placed when one joins. Deployments survive every host restarting. Prints NAME and the new version, ' +
      'the UTC time it was made to the millisecond (e.g. web v20261206T225924.123Z)')
    .argument('<name>', `the deployment: 1-${deployLimits.maxNameLength} letters, digits, '.', '_' or '-'`)
    .argument('<file>', 'the .wasm module (wasm32-wasi); hosts that lack it fetch it by SHA-256 from one that has it')
    .argument('[args...]', `the replicas' arguments (put them after --); at most ${deployLimits.maxArgs}`)
    .addOption(homeOption())
    .option('--replicas <n>', `how many replicas (default 1); at most ${deployLimits.maxReplicas} (maxReplicas)`)
    .option('--where <k=v>', `run only on hosts whose meta has this pair; repeatable: all must match, at most ${deployLimits.maxWhere}`, collect)
    .option('--spread <key>', 'spread the replicas evenly over the values of this meta key (hosts without it take none), then evenly over the hosts of each value')
    .option('--per-host', 'one replica on every matching host, and one more on each matching host that joins (excludes --replicas and --spread)')
    .option('--mem <size>', 'memory maximum of each replica, e.g. 16M (default 64M)')
    .option('--fuel <n>', 'fuel budget of each replica run (default unlimited)')
    .option('--timeout <seconds>', 'wall-clock limit of each replica run: one that reaches it is restarted (default none)')
    .option('--env <K=V>', `an environment variable for the replicas; repeatable, at most ${deployLimits.maxArgs}`, collect)
    .option('--root <path>', 'the anchor the replicas see as "/" (default the cluster root)')
    .option('--json', 'print {"name", "version"} with the version as its exact number (milliseconds)')
    .addHelpText('after', `\nThe cluster keeps at most ${deployLimits.maxDeployments} deployments (maxDeployments). ` +
      'Only a node\'s owner deploys (this command, through its API socket; a remote peer may only list); each host keeps a deployment and runs its replicas only when its ' +
      'policy gives the deployment\'s author exec.')
    .action(async (name: string, file: string, args: string[], flags: DeployFlags) => {
      if (flags.perHost === true && flags.replicas !== undefined) throw new InvalidArgument('--per-host places one replica on every matching host: drop --replicas')
      if (flags.perHost === true && flags.spread !== undefined) throw new InvalidArgument('--per-host and --spread exclude each other')
      const replicas = flags.replicas === undefined ? 1 : parseReplicas(flags.replicas)
      for (const kv of flags.where ?? []) if (!kv.includes('=')) throw new InvalidArgument(`--where takes k=v, got ${JSON.stringify(kv)}`)
      for (const e of flags.env ?? []) if (!e.includes('=')) throw new InvalidArgument(`--env takes K=V, got ${JSON.stringify(e)}`)
      const limits = {
        memoryBytes: flags.mem === undefined ? 0 : parseByteSize(flags.mem, '--mem'),
        fuel: flags.fuel === undefined ? 0 : positive('--fuel', flags.fuel, true),
        timeoutMs: flags.timeout === undefined ? 0 : Math.ceil(positive('--timeout', flags.timeout, false) * 1000)
      }
      const bytes = readModule(file, 'ww deploy')
      const hash = createHash('sha256').update(bytes).digest()
      const version = await withHost(flags.home, async host => {
        using source = serveModuleSource(async h => Buffer.compare(Buffer.from(h), hash) === 0 ? bytes : undefined)
        using d = host.deployments()
        using ans = d.pipeline.deployments.deploy(p => {
          const s = p._initSpec()
          s.name = name
          s._initModule(hash.byteLength).copyBuffer(hash)
          const a = s._initArgs(args.length)
          args.forEach((x, i) => a.set(i, x))
          const env = flags.env ?? []
          const e = s._initEnv(env.length)
          env.forEach((x, i) => e.set(i, x))
          const l = s._initLimits()
          l.memoryBytes = BigInt(limits.memoryBytes)
          l.fuel = BigInt(limits.fuel)
          l.timeoutMs = BigInt(limits.timeoutMs)
          s.root = flags.root ?? ''
          s.replicas = replicas
          const where = flags.where ?? []
          const w = s._initWhere(where.length)
          where.forEach((x, i) => w.set(i, x))
          s.spread = flags.spread ?? ''
          s.perHost = flags.perHost === true
          Deployments_Deploy$Params$Caps.source.set(p, source)
        })
        return (await ans).version
      })
      printVersion(name, Number(version), flags.json === true)
    })
}

function positive (flag: string, s: string, whole: boolean): number {
  const n = Number(s)
  if (!(n > 0) || !Number.isFinite(n) || (whole && !Number.isSafeInteger(n))) throw new InvalidArgument(`${flag} must be a positive ${whole ? 'whole ' : ''}number, got ${s}`)
  return n
}
