// Guest-to-guest ping-pong on one real node: echo and ping spawned through the node's own Executor (the path
// `ww run` takes, via HostProcs.spawnHere: cluster world, guest capability scope, channels served as Chan
// capabilities), the echo's inbox stored at /peer/<box> and loaded by ping through the cluster root.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveHome } from '../../src/host/home.js'
import { WwNode } from '../../src/host/node.js'

/** Messages/s, and the process's CPU per message in µs (both guests and the node share this process). */
export interface Rate { msgs: number, cpuUs: number }

export interface NodeLocal {
  /** `n` round trips ping <-> echo on the node (two messages each), timed by ping itself. */
  pingPong: (n: number) => Promise<Rate>
  stop: () => Promise<void>
}

export async function nodeLocal (build: string): Promise<NodeLocal> {
  const wasm = (name: string): Uint8Array => new Uint8Array(readFileSync(join(build, `${name}.wasm`)))
  const echoBytes = wasm('echo')
  const pingBytes = wasm('ping')
  const home = mkdtempSync(join(tmpdir(), 'ww-bench-local-'))
  const node = await WwNode.start({ home: resolveHome(home), mdns: false, api: false, listen: ['/ip4/127.0.0.1/tcp/0'] })
  let box = 0
  const pingPong = async (n: number): Promise<Rate> => {
    const path = `/peer/bench-box-${box++}`
    const echo = await node.procs.spawnHere({ module: { bytes: echoBytes }, args: [path, String(n)] })
    let out = ''
    const cpu = process.cpuUsage()
    const ping = await node.procs.spawnHere({ module: { bytes: pingBytes }, args: [path, String(n)], stdout: c => { out += new TextDecoder().decode(c) } })
    const st = await ping.wait()
    const used = process.cpuUsage(cpu)
    echo.kill()
    await echo.wait()
    const m = /in (\d+) us/.exec(out)
    if (st.code !== 0 || m === null) throw new Error(`ping failed on the node: ${st.message} ${out}`)
    return { msgs: 2 * n / (Number(m[1]) / 1e6), cpuUs: (used.user + used.system) / (2 * n) }
  }
  const stop = async (): Promise<void> => {
    await node.stop()
    rmSync(home, { recursive: true, force: true })
  }
  return { pingPong, stop }
}
