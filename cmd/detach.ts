// `ww start --detach`: the node runs in the background (a new session, so the terminal's Ctrl-C does not reach
// it), its stdout and stderr appended to <home>/ww.log. This process is only a client: it returns once the node
// answers on its API socket and, with --bootstrap, lists another host; if the node fails to start, it says the
// node's own error line and exits with the node's code.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Timeout } from '../src/errors.js'
import { resolveHome, type Home } from '../src/host/home.js'
import { hostLimits } from '../src/host/limits.js'
import { withHost } from './client.js'
import { quotaArgs } from './quota-options.js'
import { NoNode } from './exit-codes.js'
import type { StartFlags } from './start.js'

const POLL_MS = 100
const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** The arguments that start the same node in the foreground, its home made absolute. */
function foregroundArgs (flags: StartFlags, home: Home): string[] {
  const args = ['start', '--home', home.dir, '--ns', flags.ns, '--ttl', flags.ttl,
    '--max-stored-bytes', flags.maxStoredBytes, '--max-buffered-bytes', flags.maxBufferedBytes]
  for (const a of flags.listen ?? []) args.push('--listen', a)
  for (const a of flags.bootstrap ?? []) args.push('--bootstrap', a)
  for (const m of flags.meta ?? []) args.push('--meta', m)
  if (!flags.mdns) args.push('--no-mdns')
  if (flags.swarmKey !== undefined) args.push('--swarm-key', flags.swarmKey)
  if (flags.policy !== undefined) args.push('--policy', flags.policy)
  for (const g of flags.grant ?? []) args.push('--grant', g)
  for (const m of flags.allowModule ?? []) args.push('--allow-module', m)
  for (const k of flags.allowSigner ?? []) args.push('--allow-signer', k)
  args.push('--max-module-cache', flags.maxModuleCache, '--module-preparations', flags.modulePreparations)
  args.push('--max-spare-instances', flags.maxSpareInstances, '--spare-memory', flags.spareMemory)
  args.push(...quotaArgs(flags))
  if (flags.metrics !== undefined) args.push('--metrics', flags.metrics)
  if (flags.quiet === true) args.push('--quiet')
  if (flags.ui !== undefined) args.push(flags.ui === true ? '--ui' : `--ui=${flags.ui}`)
  return args
}

/** Set in a detached node's environment: its stderr is <home>/ww.log, where the console's token must not go. */
export const DETACHED_ENV = 'WW_DETACHED'

export async function startDetached (flags: StartFlags): Promise<void> {
  const home = resolveHome(flags.home)
  mkdirSync(home.dir, { recursive: true, mode: 0o700 })
  const logFile = join(home.dir, 'ww.log')
  const logFrom = existsSync(logFile) ? statSync(logFile).size : 0
  const fd = openSync(logFile, 'a', 0o600)
  // process.argv[1] is the compiled cmd/ww.js: bin/ww runs `start` from the compiled modules, never the bundle.
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...foregroundArgs(flags, home)],
    { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, [DETACHED_ENV]: '1' } })
  closeSync(fd)
  let exitCode: number | undefined
  child.on('exit', (code, signal) => { exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15) })
  child.unref()

  const info = await waitUntilUp(flags, home, child.pid!, () => exitCode)
  if (info === undefined) {
    // The node ended before it answered: its last "ww:" line says why.
    const said = readFileSync(logFile).subarray(logFrom).toString('utf8').split('\n').filter(l => l.startsWith('ww: ')).pop()
    process.stderr.write(`${said ?? `ww: the node exited with code ${exitCode} before it answered; see ${logFile}`}\n`)
    process.exit(exitCode ?? 1)
  }
  const metrics = flags.metrics === undefined ? undefined : await metricsLine(logFile, logFrom)
  if (flags.json === true) {
    process.stdout.write(JSON.stringify({ peer: info.peer, addrs: info.addrs, ...(metrics === undefined ? {} : { metrics }) }) + '\n')
  } else {
    process.stdout.write(`peer ${info.peer}\n`)
    for (const a of info.addrs) process.stdout.write(`listen ${a}\n`)
    if (metrics !== undefined) process.stdout.write(`metrics ${metrics}\n`)
  }
  // The console is up before the API socket answers (src/host/node.ts), so its URL file is there.
  if (flags.ui !== undefined && existsSync(home.uiUrl)) process.stderr.write(`ui: ${readFileSync(home.uiUrl, 'utf8').trim()}\n`)
  if ((flags.bootstrap ?? []).length > 0 && !await joined(flags.home)) {
    process.stderr.write(`ww: warning: the node lists no other host ${hostLimits.detachJoinMs / 1000} s after it started; it keeps trying its --bootstrap peers (see ${logFile})\n`)
  }
}

/** The /metrics URL the node wrote to its log (its "metrics" line follows its API socket by a moment), if within detachReadyMs. */
async function metricsLine (logFile: string, logFrom: number): Promise<string | undefined> {
  const deadline = Date.now() + hostLimits.detachReadyMs
  for (;;) {
    const url = /^metrics (\S+)$/m.exec(readFileSync(logFile).subarray(logFrom).toString('utf8'))?.[1]
    if (url !== undefined || Date.now() > deadline) return url
    await sleep(POLL_MS)
  }
}

/** The node's peer ID and addresses once it answers as the process we started; undefined if that process ended first. */
async function waitUntilUp (flags: StartFlags, home: Home, pid: number, exited: () => number | undefined): Promise<{ peer: string, addrs: string[] } | undefined> {
  const deadline = Date.now() + hostLimits.detachReadyMs
  for (;;) {
    if (exited() !== undefined) return undefined
    // Another node may own this home (the one we started then exits): answer only for ours.
    if (ownsHome(home, pid)) {
      try {
        return await withHost(flags.home ?? home.dir, async host => {
          using ans = host.info()
          const info = (await ans).info
          return { peer: info.peer, addrs: [...info.addrs] }
        })
      } catch (err) {
        if (!(err instanceof NoNode)) throw err
      }
    }
    if (Date.now() > deadline) {
      throw new Timeout(`the node (pid ${pid}) did not answer within ${hostLimits.detachReadyMs / 1000} s; see ${join(home.dir, 'ww.log')}, or stop it with 'kill ${pid}'`)
    }
    await sleep(POLL_MS)
  }
}

function ownsHome (home: Home, pid: number): boolean {
  try {
    return Number.parseInt(readFileSync(home.pidFile, 'utf8'), 10) === pid
  } catch {
    return false
  }
}

/** Whether the node lists another host before detachJoinMs passes. */
async function joined (homeFlag: string | undefined): Promise<boolean> {
  const deadline = Date.now() + hostLimits.detachJoinMs
  for (;;) {
    const hosts = await withHost(homeFlag, async host => {
      using cluster = host.cluster()
      using ans = cluster.pipeline.view.ls()
      return (await ans).hosts.length
    })
    if (hosts > 1) return true
    if (Date.now() > deadline) return false
    await sleep(POLL_MS * 2)
  }
}
