// What the project's RPC code expects of node, for the browser bundle (esbuild --inject): process.nextTick and
// setImmediate run after every pending promise job, as on node, here through a MessageChannel (a macrotask
// without setTimeout's clamping); process.env is empty, so DEBUG logging (src/log.ts) stays off.
type Job = () => void

const jobs: Job[] = []
const channel = new MessageChannel()
channel.port1.onmessage = () => {
  const now = jobs.splice(0)
  for (const job of now) job()
}

function later (job: Job): void {
  if (jobs.push(job) === 1) channel.port2.postMessage(null)
}

export const process = {
  env: {} as Record<string, string | undefined>,
  nextTick: (fn: (...args: unknown[]) => void, ...args: unknown[]): void => { later(() => { fn(...args) }) },
  stderr: { write: (_text: string): boolean => true }
}

export function setImmediate (fn: (...args: unknown[]) => void, ...args: unknown[]): number {
  later(() => { fn(...args) })
  return 0
}
