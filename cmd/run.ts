// ww run: spawn a guest on a host of the cluster, feed it this process's stdin, stream its output,
// exit with its code; or (-d) start it detached and print its ID.
import { createHash } from 'node:crypto'
import { basename } from 'node:path'
import { Command } from 'commander'
import { Closed, InvalidArgument, NotFound } from '../src/errors.js'
import { readExitStatus } from '../src/caps/proc-status.js'
import { hostLimits } from '../src/host/limits.js'
import { writeSpawnRequest } from '../src/caps/spawn-request.js'
import { serveModuleSource } from '../src/caps/module-source.js'
import { serveSpawnProgress } from '../src/caps/spawn-progress.js'
import type { PrepareStep } from '../src/proc/module-cache.js'
import type { ExitStatus } from '../src/proc/signals.js'
import { writeMessage } from '../src/caps/chan-message.js'
import type { RecverClient, SenderClient } from '../src/schema/channel.rpc.js'
import type { Executor_Spawn$Results } from '../src/schema/executor.js'
import type { Executor_Spawn$Results$Pipeline, SpawnProgressClient } from '../src/schema/executor.rpc.js'
import type { Answer } from '../src/rpc/index.js'
import { Host_Peer$Results$Caps, type HostClient } from '../src/schema/host.rpc.js'
import { parseByteSize } from './byte-size.js'
import { walk } from './anchor-path.js'
import { withHost } from './client.js'
import { collect, homeOption } from './home-option.js'
import { readModule, readSignatures, signatureFileOf } from './module-file.js'
import { endLike, RUN_EXIT_HELP } from './proc-exit.js'
import { procId } from './proc-ref.js'

interface RunFlags {
  home?: string
  on?: string
  where?: string[]
  mem?: string
  fuel?: string
  timeout?: string
  env?: string[]
  root?: string
  stdin?: boolean
  detach?: boolean
  sig?: string
}

/** Stdin chunks sent to the proc and not yet taken, at most (each one read of up to 64 KiB). */
export const STDIN_WINDOW = 8

/** A step of the spawn (fetching, preparing the module) that lasts longer than this gets one line on stderr. */
export const PROGRESS_AFTER_MS = 500

export function runCommand (): Command {
  return new Command('run')
    .summary('run a WASM guest on a host of the cluster (-d: detached)')
    .description('run a WASM guest on a host of the cluster (this one by default), feed it this process\'s stdin (unless that is a terminal), stream its stdout and stderr, ' +
      'and exit with its exit code; the proc ends when ww run does (Ctrl-C, SIGTERM, SIGHUP, or killed). A guest that did not exit by itself prints one line to stderr and ends ww run with ' +
      `${RUN_EXIT_HELP}. The first run of a module on a host prepares it (seconds; cached afterwards): ` +
      `a step that takes over ${PROGRESS_AFTER_MS} ms prints one line to stderr. ` +
      'With -d the proc runs on by itself: ww run prints its ID once it has started; ww logs ID shows its output, ww wait ID waits for its end. ' +
      'The procs a guest spawns, here or on other hosts, run inside its limits (--mem, --fuel, --timeout) and root, and end when it ends unless it spawned them detached')
    .argument('<file>', 'the .wasm module (wasm32-wasi); sent by SHA-256, its bytes only to a host that lacks them')
    .argument('[args...]', `the guest's arguments (put them after --); at most ${hostLimits.spawnArgsMax} (spawnArgsMax)`)
    .addOption(homeOption())
    .option('-d, --detach', 'start the proc and print its ID (<peer>/<pid>) instead of waiting for it; its input is empty and its output ' +
      'goes to its log (ww logs)')
    .option('--on <peer>', 'run on the host with this peer ID')
    .option('--where <k=v>', `run on a live host whose meta has this pair; repeatable: all must match, at most ${hostLimits.lsWhereMax} (lsWhereMax); one such host at random`, collect)
    .option('--mem <size>', 'memory maximum, e.g. 16M, 1G, 65536 (default 64M)')
    .option('--fuel <n>', 'fuel budget: one unit per function entry, function return and loop iteration, not per instruction (default unlimited)')
    .option('--timeout <seconds>', 'wall-clock limit (default none)')
    .option('--env <K=V>', `an environment variable for the guest; repeatable, at most ${hostLimits.spawnEnvMax} (spawnEnvMax)`, collect)
    .option('--root <path>', 'the anchor the guest sees as "/" (default the cluster root, where /peer is the host it runs on)')
    .option('--stdin', 'forward this process\'s stdin to the guest even when it is a terminal (by default it is forwarded ' +
      'when it is not one: a pipe or a file); the guest reads end of file when stdin ends')
    .option('--no-stdin', 'give the guest empty input')
    .option('--sig <file>', 'the module\'s signatures (ww sign), for hosts that run only modules signed by keys they allow (default: FILE.sig when it exists)')
    .action(async (file: string, args: string[], flags: RunFlags) => {
      if (flags.on !== undefined && flags.where !== undefined) throw new InvalidArgument('--on and --where exclude each other')
      const detach = flags.detach === true
      if (detach && flags.stdin === true) throw new InvalidArgument('--detach gives the guest empty input: drop --stdin')
      const limits = {
        memoryBytes: flags.mem === undefined ? 0 : parseByteSize(flags.mem, '--mem'),
        fuel: flags.fuel === undefined ? 0 : positiveInt('--fuel', flags.fuel),
        timeoutMs: flags.timeout === undefined ? 0 : Math.ceil(positiveNumber('--timeout', flags.timeout) * 1000)
      }
      for (const e of flags.env ?? []) if (!e.includes('=')) throw new InvalidArgument(`--env takes K=V, got ${JSON.stringify(e)}`)
      const bytes = readModule(file)
      const signatures = flags.sig !== undefined ? readSignatures(flags.sig, false) : readSignatures(signatureFileOf(file), true)
      const hash = createHash('sha256').update(bytes).digest()
      const forward = !detach && (flags.stdin ?? process.stdin.isTTY !== true)
      const name = basename(file)
      const status = await withHost(flags.home, async host => {
        using target = await targetHost(host, flags)
        using source = serveModuleSource(async h => Buffer.compare(Buffer.from(h), hash) === 0 ? bytes : undefined)
        const progress = progressReporter(name, bytes.byteLength, target)
        const root = flags.root === undefined ? undefined : walk(host, flags.root)
        try {
          using ex = target.executor()
          using spawned = ex.pipeline.executor.spawn(p => {
            writeSpawnRequest(p._initRequest(), {
              hash, source, signatures, args, env: flags.env, limits, name, root: root?.anchor, stdin: forward,
              tied: !detach, detached: detach, progress: progress.client
            })
          })
          spawned.then(() => { progress.done() }, () => { progress.done() })
          if (!detach) return await attach(spawned, forward)
          await spawned
          using info = spawned.pipeline.proc.info()
          process.stdout.write(procId((await info).info) + '\n')
          return undefined
        } finally {
          progress.done()
          progress.client.release()
          root?.release()
        }
      })
      if (status !== undefined) endLike(status.id, status.st)
    })
}

/**
 * Hears the host's slow steps (fetching the module from here, preparing it) and prints one line
 * for a step still running PROGRESS_AFTER_MS after it began; each step at most once.
 */
function progressReporter (name: string, size: number, target: HostClient): { client: SpawnProgressClient, done: () => void } {
  let timer: NodeJS.Timeout | undefined
  let finished = false
  const printed = new Set<PrepareStep>()
  const print = async (step: PrepareStep): Promise<void> => {
    using info = target.info()
    const peer = (await info).info.peer
    if (finished) return
    process.stderr.write(step === 'fetching'
      ? `ww: sending ${name} (${Math.ceil(size / 1024)} KiB) to ${peer}, which lacks it\n`
      : `ww: preparing ${name} on ${peer} (first run of this module there; cached afterwards)\n`)
  }
  const client = serveSpawnProgress(step => {
    if (finished) return
    clearTimeout(timer)
    timer = setTimeout(() => {
      if (finished || printed.has(step)) return
      printed.add(step)
      print(step).catch(() => {})
    }, PROGRESS_AFTER_MS)
  })
  return { client, done: () => { finished = true; clearTimeout(timer) } }
}

/**
 * Streams a spawned proc's stdio (stdin when `forward`) until it ends; its ID and how it ended.
 * Interrupting ww run kills the proc now (it would end anyway once ww run's connection goes: the
 * spawn tied it to its Proc capability).
 */
async function attach (spawned: Answer<Executor_Spawn$Results, Executor_Spawn$Results$Pipeline>, forward: boolean): Promise<{ id: string, st: ExitStatus }> {
  const proc = spawned.pipeline.proc
  const input = forward ? feed(proc.stdin(), process.stdin) : undefined
  using out = proc.stdout()
  using err = proc.stderr()
  const pumps = [pump(out.pipeline.recver, process.stdout), pump(err.pipeline.recver, process.stderr)]
  using waited = proc.wait()
  const interrupt = (): void => { proc.kill().then(() => {}, () => {}) }
  process.on('SIGINT', interrupt)
  process.on('SIGTERM', interrupt)
  let st: ExitStatus
  try {
    st = readExitStatus((await waited).status)
  } catch (e) {
    await spawned // a failed spawn says why better than the wait
    throw e
  } finally {
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
    await input?.stop()
  }
  await Promise.allSettled(pumps)
  if (st.reason === 'exited') return { id: '', st }
  using info = proc.info()
  return { id: procId((await info).info), st }
}

async function targetHost (host: HostClient, flags: RunFlags): Promise<HostClient> {
  let peer = flags.on
  if (flags.where !== undefined) {
    const pairs = flags.where
    for (const kv of pairs) if (!kv.includes('=')) throw new InvalidArgument(`--where takes k=v, got ${JSON.stringify(kv)}`)
    using cluster = host.cluster()
    using ans = cluster.pipeline.view.ls(p => {
      const w = p._initWhere(pairs.length)
      pairs.forEach((x, i) => w.set(i, x))
    })
    const hosts = [...(await ans).hosts].map(h => h.peer)
    if (hosts.length === 0) throw new NotFound(`no live host matches ${pairs.join(' ')}`)
    peer = hosts[Math.floor(Math.random() * hosts.length)]
  }
  if (peer === undefined) return host.dup()
  using ans = host.peer(p => { p.peer = peer })
  return Host_Peer$Results$Caps.host.get(await ans).dup()
}

/**
 * Copies `from` to the proc's input, at most STDIN_WINDOW sends in flight, and ends the input
 * (releases the Sender) at end of file. Stops at the first failed send (the proc's input closed).
 * stop() ends it early (the proc ended) and waits until the Sender is released.
 */
function feed (answer: { pipeline: { sender: SenderClient }, release: () => void } & PromiseLike<unknown>, from: NodeJS.ReadStream): { stop: () => Promise<void> } {
  let stopped = false
  const run = (async () => {
    try {
      await answer // the Sender exists (so releasing it below ends the input)
      const sender = answer.pipeline.sender
      const inFlight = new Set<Promise<void>>()
      let failed = false
      for await (const chunk of from) {
        if (stopped || failed) break
        const data = chunk as Buffer
        const sent = (async () => {
          using ans = sender.send(p => { writeMessage(p._initMsg(), { data, cap: null }) })
          await ans
        })()
        inFlight.add(sent)
        sent.then(() => { inFlight.delete(sent) }, () => { inFlight.delete(sent); failed = true })
        if (inFlight.size >= STDIN_WINDOW) await Promise.race(inFlight).catch(() => {})
      }
      await Promise.allSettled(inFlight)
    } catch {
      // the spawn failed (the wait says why), or stdin was cut short by stop()
    } finally {
      answer.release()
    }
  })()
  return {
    stop: async () => {
      stopped = true
      from.destroy() // a read that waits for more input ends now
      await run
    }
  }
}

/** Copies a proc's output channel to `to` until it closes. */
async function pump (recver: RecverClient, to: NodeJS.WriteStream): Promise<void> {
  for (;;) {
    using ans = recver.recv()
    let chunk: Uint8Array
    try {
      const m = (await ans).msg
      chunk = m._hasData() ? m.data.toUint8Array().slice() : new Uint8Array(0)
    } catch (err) {
      if (err instanceof Closed) return
      throw err
    }
    if (!to.write(chunk)) await new Promise(resolve => to.once('drain', resolve))
  }
}

function positiveInt (name: string, s: string): number {
  const n = Number(s)
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgument(`${name} must be a positive integer, got ${s}`)
  return n
}

function positiveNumber (name: string, s: string): number {
  const n = Number(s)
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgument(`${name} must be a positive number, got ${s}`)
  return n
}
