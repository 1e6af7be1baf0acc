import { Command } from 'commander'
import { InvalidArgument } from '../src/errors.js'
import { hostLimits } from '../src/host/limits.js'
import { readHostRecord } from '../src/caps/host-record.js'
import type { HostClient } from '../src/schema/host.rpc.js'
import { listAnchor } from './anchor.js'
import { withHost } from './client.js'
import { collect, homeOption } from './home-option.js'
import { listRecursive } from './ls-tree.js'
import { DEFAULT_LIST_LIMITS } from '../src/anchor/limits.js'

interface LsFlags { home?: string, where?: string[], json?: boolean, recursive?: boolean, depth?: string }

const { maxListDepth, maxListEntries } = DEFAULT_LIST_LIMITS

export function lsCommand (): Command {
  return new Command('ls')
    .summary('list the live hosts (/) or an anchor\'s children')
    .description('list what is at PATH: "/" lists the live hosts, one /<peer ID> per line; other paths list an anchor\'s children and what each holds')
    .argument('[path]', 'an anchor path', '/')
    .addOption(homeOption())
    .option('--where <k=v>', `only hosts whose meta has this pair; repeatable, at most ${hostLimits.lsWhereMax} (lsWhereMax)`, collect)
    .option('--json', 'print objects, one JSON array')
    .option('-R, --recursive', `every anchor below PATH, one "path<TAB>kind" line each (with --json: {path, kind, children}); at most ${maxListEntries} anchors (maxListEntries); a host that cannot be reached or refuses is skipped with one line on stderr, and the exit code says why`)
    .option('--depth <n>', `with -R: how many levels below PATH, 1 to ${maxListDepth} (maxListDepth)`)
    .action(async (path: string, flags: LsFlags) => {
      if (flags.depth !== undefined && flags.recursive !== true) throw new InvalidArgument('--depth applies to ls -R only')
      if (flags.recursive === true) {
        if (flags.where !== undefined) throw new InvalidArgument('--where filters hosts: it applies to "ww ls /" only, without -R')
        await listRecursive(flags.home, path, flags)
        return
      }
      if (path !== '/' && path !== '') {
        if (flags.where !== undefined) throw new InvalidArgument('--where filters hosts: it applies to "ww ls /" only')
        await listAnchor(flags.home, path, flags.json === true)
        return
      }
      await withHost(flags.home, async host => { await listHosts(host, flags) })
    })
}

async function listHosts (host: HostClient, flags: LsFlags): Promise<void> {
  using cluster = host.cluster()
  const where = flags.where ?? []
  using ans = cluster.pipeline.view.ls(p => {
    const w = p._initWhere(where.length)
    where.forEach((x, i) => w.set(i, x))
  })
  const hosts = [...(await ans).hosts].map(readHostRecord)
  if (flags.json === true) {
    process.stdout.write(JSON.stringify(hosts.map(h => ({
      peer: h.peer,
      instance: h.instance.toString(16).padStart(16, '0'),
      hostname: h.hostname,
      meta: h.meta,
      addrs: h.addrs,
      ttlMs: h.ttlMs,
      lastSeen: new Date(h.lastSeenMs).toISOString()
    }))) + '\n')
  } else {
    for (const h of hosts) process.stdout.write(`/${h.peer}\n`)
  }
}
