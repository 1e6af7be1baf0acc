// proc.cold_start_s: the first `ww run` of a module on a host, uncached (a fresh home), end to end as a user
// sees it: `bin/ww run hello.wasm` against a running `ww start`, separate processes. Beside it, in the same run:
// plain `WebAssembly.compile` of the same module (the reference), the second (cached) run, the same first run
// with the pipeline in binaryen.js (WW_WASM_OPT=none, the fallback without a native wasm-opt), and where the
// node spent the preparation (its DEBUG=ww:proc:prepare line).

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WASM_OPT_ENV } from '../../src/proc/transform-native.js'

type Line = (name: string, value: number | string, note?: string) => void

const WW = resolve(fileURLToPath(import.meta.url), '../../../../bin/ww')
const GUEST = 'hello'
const GUEST_EXIT = 7

interface Cold { coldS: number, warmS: number, prepared: string, nodeCpuS: number }

/** CPU seconds a process and its reaped children (wasm-opt) have used, from /proc (Linux). */
function cpuSeconds (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
  // after "pid (comm) ": state is field 3, utime 14, stime 15, cutime 16, cstime 17
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0)
  return ticks / CLOCK_TICKS
}
const CLOCK_TICKS = 100

async function exited (child: ReturnType<typeof spawn>): Promise<number | null> {
  return await new Promise(resolve => child.once('close', code => resolve(code)))
}

/** A `ww start` on a fresh home; the first run of `wasm` there, then a second one; the node's preparation log line. */
async function firstRun (wasm: string, env: NodeJS.ProcessEnv): Promise<Cold> {
  const home = mkdtempSync(join(tmpdir(), 'ww-bench-cold-'))
  const node = spawn(WW, ['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, DEBUG: 'ww:proc:prepare' } })
  let out = ''
  let err = ''
  node.stdout.on('data', d => { out += String(d) })
  node.stderr.on('data', d => { err += String(d) })
  try {
    while (!/^listen /m.test(out)) {
      if (node.exitCode !== null) throw new Error(`ww start exited ${node.exitCode}: ${err}`)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    const timed = async (): Promise<number> => {
      const t = performance.now()
      const run = spawn(WW, ['run', wasm, '--home', home], { stdio: ['ignore', 'ignore', 'pipe'] })
      let runErr = ''
      run.stderr.on('data', d => { runErr += String(d) })
      const code = await exited(run)
      if (code !== GUEST_EXIT) throw new Error(`ww run ${wasm} exited ${code}, not ${GUEST_EXIT}: ${runErr}`)
      return (performance.now() - t) / 1000
    }
    const cpu = cpuSeconds(node.pid!)
    const coldS = await timed()
    const nodeCpuS = cpuSeconds(node.pid!) - cpu
    const warmS = await timed()
    const prepared = /prepared \d+ bytes (.*)$/m.exec(err)?.[1] ?? 'no preparation logged'
    return { coldS, warmS, prepared, nodeCpuS }
  } finally {
    node.kill('SIGTERM')
    await exited(node)
    rmSync(home, { recursive: true, force: true })
  }
}

/** The first compile of these bytes in this process (V8 reuses a module it compiled before from the same bytes). */
async function plainCompileMs (bytes: Uint8Array): Promise<number> {
  const t = performance.now()
  await WebAssembly.compile(bytes as BufferSource)
  return performance.now() - t
}

export async function coldStart (line: Line, build: string): Promise<void> {
  const wasm = join(build, `${GUEST}.wasm`)
  const bytes = new Uint8Array(readFileSync(wasm))
  const env = { ...process.env }
  delete env[WASM_OPT_ENV]
  const native = await firstRun(wasm, env)
  const js = await firstRun(wasm, { ...env, [WASM_OPT_ENV]: 'none' })
  const compileMs = await plainCompileMs(bytes)
  const kb = Math.round(bytes.length / 1024)
  line('proc.cold_start_s', native.coldS, `first ww run of ${GUEST}.wasm (${kb} KB) on a fresh home, CLI to exit; target <= 2`)
  line('proc.cold_start.prepare', native.prepared)
  line('proc.cold_start.node_cpu_s', native.nodeCpuS, 'CPU the node (and its wasm-opt) spent on that run: the wall time on an idle machine, give or take wasm-opt using both cores')
  line('proc.cold_start.cached_s', native.warmS, 'the second run of the same module')
  line('proc.cold_start_s.binaryen_js', js.coldS, `the same first run with ${WASM_OPT_ENV}=none`)
  line('proc.cold_start.prepare.binaryen_js', js.prepared)
  line('proc.cold_start.node_cpu_s.binaryen_js', js.nodeCpuS)
  line('proc.cold_start.plain_compile_ms', compileMs, 'WebAssembly.compile of the same bytes in this process, first time')
  line('proc.cold_start.over_compile', native.coldS * 1000 / compileMs)
  line('proc.cold_start.over_cached', native.coldS / native.warmS, 'the first run against the second, through the CLI alike')
}
