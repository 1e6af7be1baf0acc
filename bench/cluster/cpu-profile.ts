// Reads a V8 .cpuprofile (node --cpu-prof) and sums the time of the samples taken within a window.
import { readFileSync } from 'node:fs'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }

export interface ProfileSummary {
  totalMs: number
  /** Self time by function ("name url:line"), largest first. */
  functions: Array<[string, number]>
  /** Self time by where the code comes from: an npm package, node itself, or this project. */
  origins: Array<[string, number]>
  /** Time by function including what it called, largest first. */
  inclusive: Array<[string, number]>
}

/** Samples taken from `fromUs` to `toUs` (microseconds of the monotonic clock, as process.hrtime). */
export function summarize (file: string, fromUs: number, toUs: number): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(p.nodes.map(n => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<string, number>()
  const origin = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let t = p.startTime
  let totalMs = 0
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]
    const ms = (p.timeDeltas[i + 1] ?? 0) / 1000
    if (t < fromUs || t > toUs) continue
    totalMs += ms
    const node = byId.get(p.samples[i])!
    add(self, label(node), ms)
    add(origin, originOf(node.callFrame.url, node.callFrame.functionName), ms)
    const seen = new Set<string>()
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const l = label(byId.get(id)!)
      if (!seen.has(l)) { seen.add(l); add(inclusive, l, ms) }
    }
  }
  const sorted = (m: Map<string, number>): Array<[string, number]> => [...m].sort((a, b) => b[1] - a[1])
  return { totalMs, functions: sorted(self), origins: sorted(origin), inclusive: sorted(inclusive) }
}

function label (n: ProfileNode): string {
  const f = n.callFrame
  const where = f.url === '' ? '' : ` ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, '')}:${f.lineNumber + 1}`
  return `${f.functionName === '' ? '(anonymous)' : f.functionName}${where}`
}

function originOf (url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg !== null) return pkg[1]
  if (url.startsWith('node:')) return 'node'
  const ours = /\/dist\/([^/]+\/[^/]+)/.exec(url)
  return ours !== null ? `ww ${ours[1]}` : url
}

function add (m: Map<string, number>, k: string, ms: number): void { m.set(k, (m.get(k) ?? 0) + ms) }

/** Prints a summary's top rows by origin, by function (self) and by function (inclusive, twice as many). */
export function printSummary (s: ProfileSummary, top: number, format: (ms: number) => string): void {
  const rows = (title: string, list: Array<[string, number]>, n: number): void => {
    console.log(title)
    for (const [k, ms] of list.slice(0, n)) console.log(`  ${format(ms)}  ${k}`)
  }
  rows('by origin (self time):', s.origins, top)
  rows('by function (self time):', s.functions, top)
  rows('by function (inclusive):', s.inclusive, top * 2)
}
