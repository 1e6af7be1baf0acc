// Guest-to-guest ping-pong on one real node: echo and ping spawned through the node's own Executor (the path
// `ww run` takes, via HostProcs.spawnHere: cluster world, guest capability scope, channels served as Chan
// capabilities), the echo's inbox stored at /peer/<box> and loaded by ping through the cluster root.
//
// It runs in a process of its own, as a node does, beside the same ping-pong between two JS tasks in alternating
// rounds: in the bench's main process the other worlds' guests (the bare LocalWorld, the floor's stub channel) go
// through the same host calls, and the node's figure measured there was about half what a node on its own gets.
// The rounds come after warm-up rounds of the same size: cold, the guests run in wasm's baseline tier.
//   node dist/bench/proc/node-local.js BUILD ROUNDS N   prints one JSON line per round: { node: Rate, js: Rate }
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Chan, type Sender } from '../../src/csp/index.js'
import { resolveHome } from '../../src/host/home.js'
import { WwNode } from '../../src/host/node.js'

/** Messages/s, and the process's CPU per message in µs (both guests and the node share this process). */
export interface Rate { msgs: number, cpuUs: number }

/** One round: the node's guests (ping's ww_send + ww_recv, and its ww_request mode) and the JS tasks, one after the other in the same process. */
export interface NodeLocalRound { node: Rate, request: Rate, js: Rate }

/** Runs `rounds` rounds of `n` round trips each in a child process (after warm-up rounds), with `--disable-wasm-trap-handler`. */
export async function nodeLocalRounds (build: string, rounds: number, n: number): Promise<NodeLocalRound[]> {
  const script = fileURLToPath(import.meta.url)
  const polyfill = fileURLToPath(new URL('../../src/polyfill.js', import.meta.url))
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--disable-wasm-trap-handler', '--import', polyfill, script, build, String(rounds), String(n)],
      { maxBuffer: 1 << 20 }, (err, stdout, stderr) => { if (err !== null) reject(new Error(`${err.message} ${stderr}`)); else resolve(stdout) })
  })
  return out.trim().split('\n').map(l => JSON.parse(l) as NodeLocalRound)
}

/** A message as the JS tasks send it: fresh bytes and the sender to answer on, as a guest's carries its reply sender. */
interface JsMessage { data: Uint8Array, reply: Sender<JsMessage> | undefined }

/** A channel as a guest's on a node is made: its messages' bytes counted against the host's budget and traffic. */
const jsChan = (capacity: number): Chan<JsMessage> => new Chan<JsMessage>(capacity, { sizeOf: m => m.data.byteLength })

/** Fresh bytes "ping I", as ping.c formats them. */
function pingBytes (i: number): Uint8Array {
  let digits = 1
  for (let v = i; v >= 10; v = Math.floor(v / 10)) digits++
  const b = new Uint8Array(5 + digits)
  b[0] = 0x70; b[1] = 0x69; b[2] = 0x6e; b[3] = 0x67; b[4] = 0x20
  for (let k = b.length - 1, v = i; k >= 5; k--, v = Math.floor(v / 10)) b[k] = 0x30 + v % 10
  return b
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false
  return true
}

/**
 * Messages/s of the ping-pong between two JS tasks doing what ping.c and echo.c do: ping sends fresh bytes with its
 * reply sender on the echo's inbox (16) and checks the answer's bytes; echo answers each with a fresh copy of the
 * bytes (a guest's ww_send copies them out of its memory) on a reply channel of 1. And the CPU per message in µs.
 */
export async function jsPingPong (n: number): Promise<Rate> {
  const box = jsChan(16)
  const reply = jsChan(1)
  const replyTx = reply.sender()
  const echo = (async () => {
    for (let i = 0; i < n; i++) {
      const m = await box.recv()
      if (m.reply !== undefined) await m.reply.send({ data: m.data.slice(), reply: undefined })
    }
  })()
  const cpu = process.cpuUsage()
  const t = performance.now()
  for (let i = 0; i < n; i++) {
    const msg = pingBytes(i)
    await box.send({ data: msg, reply: replyTx })
    const back = await reply.recv()
    if (!sameBytes(msg, back.data)) throw new Error(`js ping: bad answer to ${i}`)
  }
  const ms = performance.now() - t
  const used = process.cpuUsage(cpu)
  await echo
  return { msgs: 2 * n / (ms / 1000), cpuUs: (used.user + used.system) / (2 * n) }
}

async function main (build: string, rounds: number, n: number): Promise<void> {
  const wasm = (name: string): Uint8Array => new Uint8Array(readFileSync(join(build, `${name}.wasm`)))
  const echoBytes = wasm('echo')
  const pingBytes = wasm('ping')
  const home = mkdtempSync(join(tmpdir(), 'ww-bench-local-'))
  const node = await WwNode.start({ home: resolveHome(home), mdns: false, api: false, listen: ['/ip4/127.0.0.1/tcp/0'] })
  let box = 0
  const pingPong = async (request = false): Promise<Rate> => {
    const path = `/peer/bench-box-${box++}`
    const echo = await node.procs.spawnHere({ module: { bytes: echoBytes }, args: [path, String(n)] })
    let out = ''
    const cpu = process.cpuUsage()
    const ping = await node.procs.spawnHere({ module: { bytes: pingBytes }, args: request ? [path, String(n), '30', 'request'] : [path, String(n)], stdout: c => { out += new TextDecoder().decode(c) } })
    const st = await ping.wait()
    const used = process.cpuUsage(cpu)
    echo.kill()
    await echo.wait()
    const m = /in (\d+) us/.exec(out)
    if (st.code !== 0 || m === null) throw new Error(`ping failed on the node: ${st.message} ${out}`)
    return { msgs: 2 * n / (Number(m[1]) / 1e6), cpuUs: (used.user + used.system) / (2 * n) }
  }
  try {
    for (let i = 0; i < 3; i++) { await pingPong(); await pingPong(true); await jsPingPong(n) } // JIT warm-up
    for (let i = 0; i < rounds; i++) {
      const js = await jsPingPong(n)
      process.stdout.write(JSON.stringify({ node: await pingPong(), request: await pingPong(true), js }) + '\n')
    }
  } finally {
    await node.stop()
    rmSync(home, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [build, rounds, n] = process.argv.slice(2)
  await main(build, Number(rounds), Number(n))
  process.exit(0)
}
