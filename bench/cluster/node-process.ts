// One `ww start` process as a user runs it (its own home, 127.0.0.1, no mDNS), and one long-lived connection to its
// API socket that follows the hosts it lists through View.watch: the benchmark never polls with a subprocess.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { resolveHome } from '../../src/host/home.js'
import { Connection } from '../../src/rpc/index.js'
import { MembershipEvent } from '../../src/schema/cluster.js'
import { View_Watch$Params$Caps, View_WatcherClient, type SubscriptionClient } from '../../src/schema/cluster.rpc.js'
import { HostClient } from '../../src/schema/host.rpc.js'
import { connectUnix } from '../../src/transport/index.js'
import { cpuSeconds } from './proc-stats.js'

const ww = fileURLToPath(new URL('../../../bin/ww', import.meta.url))
const wwStart = fileURLToPath(new URL('../../cmd/ww.js', import.meta.url))

// Whatever happens to the benchmark, no node it started outlives it.
const running = new Set<ChildProcess>()
process.on('exit', () => { for (const child of running) child.kill('SIGKILL') })

export class NodeProcess {
  peer = ''
  addr = ''
  /** performance.now() when its API socket was up (the node prints its peer line after serving it). */
  upAt = 0
  /** CPU seconds it used to get there. */
  startupCpu = 0
  /** Hosts it lists, kept current by its watch. */
  readonly hosts = new Set<string>()
  private readonly changed = new Set<() => void>()
  private conn: Connection | undefined
  private subscription: SubscriptionClient | undefined
  private out = ''
  private err = ''

  private constructor (readonly home: string, readonly child: ChildProcess) {
    child.stdout!.on('data', d => { this.out += String(d) })
    child.stderr!.on('data', d => { this.err += String(d) })
  }

  get pid (): number { return this.child.pid! }

  /**
   * Spawns `ww start` and resolves once it serves its API socket. With `nodeArgs` (e.g. --cpu-prof, which node
   * refuses in NODE_OPTIONS), runs node with them on what bin/ww runs for start.
   */
  static async launch (extra: string[] = [], nodeArgs: string[] = []): Promise<NodeProcess> {
    const home = mkdtempSync(join(tmpdir(), 'ww-bench-procs-'))
    const args = ['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', ...extra]
    const child = nodeArgs.length === 0
      ? spawn(ww, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [...nodeArgs, '--disable-wasm-trap-handler', wwStart, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    child.once('exit', () => running.delete(child))
    const node = new NodeProcess(home, child)
    try {
      await node.ready()
    } catch (err) {
      node.cleanup()
      throw err
    }
    return node
  }

  private async ready (): Promise<void> {
    const deadline = Date.now() + 180_000
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        const peer = /^peer (\S+)$/m.exec(this.out)
        const addr = /^listen (\S+)$/m.exec(this.out)
        if (peer !== null && addr !== null) {
          this.upAt = performance.now()
          this.startupCpu = cpuSeconds(this.pid)
          this.peer = peer[1]
          this.addr = addr[1]
          this.child.stdout!.off('data', check)
          this.child.off('exit', check)
          resolve()
        } else if (this.child.exitCode !== null || Date.now() > deadline) {
          this.child.stdout!.off('data', check)
          this.child.off('exit', check)
          reject(new Error(`ww start did not come up (exit ${this.child.exitCode}): ${this.err}`))
        }
      }
      this.child.stdout!.on('data', check)
      this.child.once('exit', check)
    })
  }

  /** Connects to the API socket and follows the listed hosts from now on. */
  async watch (): Promise<void> {
    this.conn = new Connection(await connectUnix(resolveHome(this.home).apiSocket), { name: 'bench' })
    const host = this.conn.bootstrap(HostClient)
    const cluster = host.cluster()
    const view = cluster.pipeline.view
    const watcher = View_WatcherClient.serve({
      event: params => {
        const e = params.event
        if (e.which() === MembershipEvent.JOIN) this.hosts.add(e.join.peer)
        else this.hosts.delete(e.leave.peer)
        for (const f of this.changed) f()
      }
    })
    const watching = view.watch(p => { View_Watch$Params$Caps.watcher.set(p, watcher) })
    watcher.release()
    this.subscription = watching.pipeline.subscription
    await watching
    // Joins from now on come as events; the ones before are in this list (a host in both is added twice: a set).
    const listed = await view.ls()
    for (const h of listed.hosts) this.hosts.add(h.peer)
    for (const f of this.changed) f()
    cluster.release()
    host.release()
  }

  /** Asks the node, over its API socket (as `ww connect` does), to dial `addr`; resolves with the peer reached. */
  async connect (addr: string): Promise<string> {
    if (this.conn === undefined) throw new Error('not watched: no API connection')
    using host = this.conn.bootstrap(HostClient)
    using ans = host.connect(p => { p.addr = addr })
    return (await ans).peer
  }

  /** What it printed on stderr so far. */
  get stderr (): string { return this.err }

  /** Resolves with performance.now() once `test` holds for this node's hosts (checked at every change). */
  async until (test: (hosts: Set<string>) => boolean, timeoutMs: number): Promise<number | undefined> {
    if (test(this.hosts)) return performance.now()
    return await new Promise(resolve => {
      const timer = setTimeout(() => { this.changed.delete(check); resolve(undefined) }, timeoutMs)
      const check = (): void => {
        if (!test(this.hosts)) return
        clearTimeout(timer)
        this.changed.delete(check)
        resolve(performance.now())
      }
      this.changed.add(check)
    })
  }

  /** Sends `signal` and waits for the process to exit. */
  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.subscription?.release()
    this.subscription = undefined
    this.conn?.close('done')
    this.conn = undefined
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise(resolve => this.child.once('exit', resolve))
    this.child.kill(signal)
    await exited
  }

  cleanup (): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
    rmSync(this.home, { recursive: true, force: true })
  }
}
