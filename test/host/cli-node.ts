// Runs `ww` as a user would: nodes as child processes with their own homes, commands as subprocesses.
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually as waitUntil } from '../waiting.js'

export const wwBin = fileURLToPath(new URL('../../../bin/ww', import.meta.url))

export interface CliResult { status: number | null, stdout: string, stderr: string }

/** Runs one `ww` command to completion. */
export function ww (...args: string[]): CliResult {
  const r = spawnSync(wwBin, args, { encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Runs one `ww` command without blocking the event loop (a node in this process may need it). */
export async function wwAsync (args: string[], input?: string): Promise<CliResult> {
  return await runAsync(wwBin, args, { input: input ?? '' })
}

/** Runs a program to completion without blocking the event loop; without `input` its stdin is closed. */
export async function runAsync (file: string, args: string[], options: { input?: string, cwd?: string } = {}): Promise<CliResult> {
  const child = spawn(file, args, { cwd: options.cwd, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', d => { stdout += String(d) })
  child.stderr!.on('data', d => { stderr += String(d) })
  child.stdin?.end(options.input)
  const status = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { status, stdout, stderr }
}

/** Runs one `ww` command that must succeed; its stdout. */
export async function ok (args: string[], input?: string): Promise<string> {
  const r = await wwAsync(args, input)
  assert.equal(r.status, 0, `ww ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

export function tempHome (): string {
  return mkdtempSync(join(tmpdir(), 'ww-test-'))
}

/** A `ww start` child process. */
export class CliNode {
  peer = ''
  addrs: string[] = []
  private out = ''
  private err = ''
  private exited: Promise<number | null>

  private constructor (readonly home: string, readonly child: ChildProcess) {
    child.stdout!.on('data', d => { this.out += String(d) })
    child.stderr!.on('data', d => { this.err += String(d) })
    this.exited = new Promise(resolve => child.on('exit', code => { resolve(code) }))
  }

  /**
   * A node whose members may do everything, as in a private cluster: the tests of what a peer does on another
   * host run without a swarm key, where the default policy lets remote peers only read.
   */
  static async start (home: string, ...extra: string[]): Promise<CliNode> {
    return await CliNode.startWithPolicy(home, '--grant', 'members=read,write,exec', ...extra)
  }

  /** A node with the default policy (see ww help start), and whatever `extra` says. */
  static async startWithPolicy (home: string, ...extra: string[]): Promise<CliNode> {
    const child = spawn(wwBin, ['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', ...extra],
      { stdio: ['ignore', 'pipe', 'pipe'] })
    const node = new CliNode(home, child)
    await node.ready()
    return node
  }

  get stdout (): string { return this.out }
  get stderr (): string { return this.err }

  private async ready (): Promise<void> {
    const deadline = Date.now() + 90_000 // a node starts in ~1.5 s idle; far longer at load 10
    while (Date.now() < deadline) {
      const peer = /^peer (\S+)$/m.exec(this.out)
      const listens = [...this.out.matchAll(/^listen (\S+)$/gm)].map(m => m[1])
      if (peer !== null && listens.length > 0) {
        this.peer = peer[1]
        this.addrs = listens
        return
      }
      if (this.child.exitCode !== null) throw new Error(`ww start exited ${this.child.exitCode}: ${this.err}`)
      await sleep(50)
    }
    throw new Error(`ww start did not print its peer ID in time: ${this.out} ${this.err}`)
  }

  /** Hosts this node lists with `ww ls /`. */
  async ls (...extra: string[]): Promise<string[]> {
    const r = await wwAsync(['ls', '/', '--home', this.home, ...extra])
    if (r.status !== 0) throw new Error(`ww ls failed: ${r.stderr}`)
    return r.stdout.split('\n').filter(l => l !== '').map(l => l.replace(/^\//, ''))
  }

  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    return await this.exited
  }

  cleanup (): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
    rmSync(this.home, { recursive: true, force: true })
  }
}

/** Two `ww start` nodes on fresh homes, b bootstrapped to a, once each lists both. */
export async function twoNodes (): Promise<[CliNode, CliNode]> {
  const a = await CliNode.start(tempHome())
  const b = await CliNode.start(tempHome(), '--bootstrap', a.addrs[0])
  await eventually(async () => (await b.ls()).length === 2 && (await a.ls()).length === 2, 30_000, 'both hosts')
  return [a, b]
}

/** Three `ww start` nodes tagged role=a, role=b and role=c, b and c bootstrapped to a, once each lists all three. */
export async function threeNodes (): Promise<[CliNode, CliNode, CliNode]> {
  const a = await CliNode.start(tempHome(), '--meta', 'role=a')
  const [b, c] = await Promise.all([
    CliNode.start(tempHome(), '--meta', 'role=b', '--bootstrap', a.addrs[0]),
    CliNode.start(tempHome(), '--meta', 'role=c', '--bootstrap', a.addrs[0])
  ])
  for (const n of [a, b, c]) await eventually(async () => (await n.ls()).length === 3, 30_000, 'three hosts')
  return [a, b, c]
}

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** Polls `check` until it returns true; returns the elapsed milliseconds or throws after `timeoutMs`. */
export async function eventually (check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<number> {
  return await waitUntil(what, check, timeoutMs)
}
