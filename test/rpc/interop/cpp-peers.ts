// Builds and runs the C++ reference peers (cpp/server.c++, cpp/client.c++) against Debian's libcapnp.
// Binaries go to node_modules/.cache/ww-interop/<hash of the sources>/, so a second run reuses them.

import { spawn, execFile, type ChildProcess, type ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, mkdirSync, renameSync, rmSync, mkdtempSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface CppPeers {
  server: string
  client: string
}

/** The repository root: the nearest folder above this file holding package.json. */
export function repoRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('repository root not found')
    dir = up
  }
  return dir
}

const interopDir = (): string => join(repoRoot(), 'test', 'rpc', 'interop')

async function compilerFlags (): Promise<string[]> {
  const { stdout } = await run('pkg-config', ['--cflags', '--libs', 'capnp-rpc'])
  return stdout.trim().split(/\s+/).filter((s) => s !== '')
}

function sourceHash (flags: string[]): string {
  const dir = interopDir()
  const h = createHash('sha256')
  h.update(flags.join(' '))
  h.update(readFileSync(join(dir, 'interop.capnp')))
  for (const name of readdirSync(join(dir, 'cpp')).sort()) {
    h.update(name)
    h.update(readFileSync(join(dir, 'cpp', name)))
  }
  return h.digest('hex').slice(0, 16)
}

let building: Promise<CppPeers> | undefined

/** Builds the C++ server and client once per source hash (takes seconds; cached afterwards). */
export async function buildCppPeers (): Promise<CppPeers> {
  building ??= build()
  return await building
}

async function build (): Promise<CppPeers> {
  const root = repoRoot()
  const flags = await compilerFlags()
  const cacheRoot = join(root, 'node_modules', '.cache', 'ww-interop')
  const out = join(cacheRoot, sourceHash(flags))
  const peers = { server: join(out, 'server'), client: join(out, 'client') }
  if (existsSync(peers.server) && existsSync(peers.client)) return peers
  mkdirSync(cacheRoot, { recursive: true })
  const tmp = mkdtempSync(join(cacheRoot, 'build-'))
  try {
    const dir = interopDir()
    await run('capnp', ['compile', `-oc++:${tmp}`, `--src-prefix=${dir}`, join(dir, 'interop.capnp')])
    const gxx = (name: string): Promise<unknown> => run('g++', [
      '-O2', '-std=c++17', `-I${tmp}`, '-o', join(tmp, name),
      join(dir, 'cpp', `${name}.c++`), join(tmp, 'interop.capnp.c++'), ...flags
    ], { maxBuffer: 16 << 20 })
    await Promise.all([gxx('server'), gxx('client')])
    // A concurrent build may have won the race; either result is the same program.
    if (!existsSync(out)) renameSync(tmp, out)
    // Builds of older sources are of no further use.
    for (const name of readdirSync(cacheRoot)) {
      if (/^[0-9a-f]{16}$/.test(name) && join(cacheRoot, name) !== out) rmSync(join(cacheRoot, name), { recursive: true, force: true })
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  return peers
}

export interface RunningServer {
  address: string
  process: ChildProcess
  stop: () => Promise<void>
}

/** A command prefix such as ['taskset', '-c', '0'] (benchmarks pin processes to vCPUs). */
export type Wrapper = string[]

function spawnWrapped (wrap: Wrapper, binary: string, args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  const [cmd, ...rest] = [...wrap, binary, ...args]
  return spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Starts the C++ server bound to `bind` (unix:/path or host:port) and waits for its address. */
export async function startCppServer (binary: string, bind: string, wrap: Wrapper = []): Promise<RunningServer> {
  const child = spawnWrapped(wrap, binary, [bind])
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const address = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const m = /^listening (\S+)$/m.exec(out)
      if (m !== null) resolve(m[1])
    })
    child.once('exit', (code) => { reject(new Error(`C++ server exited (${String(code)}): ${stderr}`)) })
    child.once('error', reject)
  })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => { resolve() })
  })
  // Never leave a server behind, even when the test run is cut short.
  const killOnExit = (): void => { child.kill('SIGKILL') }
  process.once('exit', killOnExit)
  return {
    address,
    process: child,
    stop: async () => {
      process.off('exit', killOnExit)
      child.kill('SIGTERM')
      await exited
    }
  }
}

export interface ClientRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the C++ client with `args` (scenario names, or "bench ...") against `address`. */
export async function runCppClient (binary: string, address: string, args: string[], timeoutMs = 120_000, wrap: Wrapper = []): Promise<ClientRun> {
  return await new Promise((resolve) => {
    const child = spawnWrapped(wrap, binary, [address, ...args])
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
