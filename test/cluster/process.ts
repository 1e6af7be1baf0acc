// Runs test/cluster/fixtures/node.js as a child process and reads its JSON lines.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const fixture = fileURLToPath(new URL('./fixtures/node.js', import.meta.url))
const polyfill = fileURLToPath(new URL('../../src/polyfill.js', import.meta.url))

export class NodeProcess {
  readonly lines: any[] = []
  private readonly waiters: Array<() => void> = []
  readonly exited: Promise<number | null>
  stderr = ''

  constructor (readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', line => {
      try { this.lines.push(JSON.parse(line)) } catch { this.lines.push({ raw: line }) }
      for (const w of this.waiters.splice(0)) w()
    })
    child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString() })
    this.exited = new Promise(resolve => child.once('exit', code => {
      resolve(code)
      for (const w of this.waiters.splice(0)) w()
    }))
  }

  /** Starts the fixture with `options`; `prefix` runs it through another command (e.g. ip netns exec NS). */
  static start (options: object, prefix: string[] = []): NodeProcess {
    const argv = [...prefix, process.execPath, '--import', polyfill, fixture, JSON.stringify(options)]
    return new NodeProcess(spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }))
  }

  /** The first line with `key`, waiting up to timeoutMs. */
  async line (key: string, timeoutMs: number): Promise<any> {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const found = this.lines.find(l => key in l)
      if (found !== undefined) return found
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`node process exited before printing ${key}: ${this.stderr}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${key} line within ${timeoutMs} ms; stderr: ${this.stderr}`)
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => { clearTimeout(t); resolve() })
      })
    }
  }

  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }
}
