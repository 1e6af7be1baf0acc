// Helpers for tests that run guests through `ww run` and friends as subprocesses.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { wwAsync, wwBin, type CliNode, type CliResult } from './cli-node.js'

export const guest = (name: string): string => fileURLToPath(new URL(`../../../guest/build/${name}.wasm`, import.meta.url))

/** A `ww` command left running in the background. */
export interface Background {
  done: Promise<CliResult>
  stdout: () => string
  stderr: () => string
  /** The exit status, or undefined while it runs. */
  exited: () => CliResult | undefined
  signal: (s: NodeJS.Signals) => void
}

export function background (args: string[]): Background {
  const child = spawn(wwBin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let result: CliResult | undefined
  child.stdout.on('data', d => { stdout += String(d) })
  child.stderr.on('data', d => { stderr += String(d) })
  const done = new Promise<CliResult>(resolve => child.on('close', (status, signal) => {
    result = { status: status ?? (signal === null ? null : -1), stdout, stderr }
    resolve(result)
  }))
  return { done, stdout: () => stdout, stderr: () => stderr, exited: () => result, signal: s => { child.kill(s) } }
}

/** Runs one `ww` command with binary stdin and stdout. */
export async function wwBuffers (args: string[], stdin: Buffer): Promise<{ status: number | null, stdout: Buffer, stderr: string }> {
  const child = spawn(wwBin, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { out.push(d) })
  child.stderr.on('data', d => { stderr += String(d) })
  child.stdin.on('error', () => {})
  child.stdin.end(stdin)
  const status = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { status, stdout: Buffer.concat(out), stderr }
}

export interface PsEntry {
  pid: number
  peer: string
  name: string
  args: string[]
  state: 'running' | 'exited'
  startedMs: number
  endedMs?: number
  uptimeMs: number
  status?: { reason: string, code: number, message: string }
  limits: { memoryBytes: number, fuel: number, timeoutMs: number }
}

/** `ww ps --json` of `node` (its own procs). */
export async function psJson (node: CliNode): Promise<PsEntry[]> {
  const r = await wwAsync(['ps', '--json', '--home', node.home])
  if (r.status !== 0) throw new Error(`ww ps failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as PsEntry[]
}

/** The lines of `text` that are the host's progress lines (first run of a module). */
export const progressLines = (text: string): string[] => text.split('\n').filter(l => /^ww: (preparing|sending) /.test(l))

/** `text` without the progress lines. */
export const withoutProgress = (text: string): string => text.split('\n').filter(l => !/^ww: (preparing|sending) /.test(l)).join('\n')
