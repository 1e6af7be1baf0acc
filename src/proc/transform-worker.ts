// Runs the load pipeline in a worker thread: it takes seconds for a large module, which must not
// stall the event loop, and a binaryen abort on a hostile module must not poison the node's copy.
// Only the worker loads the pipeline (binaryen: ~1 s and ~60 MB): a node that never transforms a module never pays for it.

import { Worker, isMainThread, parentPort } from 'node:worker_threads'
import { InvalidArgument } from '../errors.js'

interface Reply { ok: true, bytes: Uint8Array }
interface Failure { ok: false, message: string }

if (!isMainThread && parentPort !== null) {
  const port = parentPort
  const loading = import('./transform.js')
  port.once('message', async (input: Uint8Array) => {
    let reply: Reply | Failure
    try {
      const { transformModule } = await loading
      reply = { ok: true, bytes: transformModule(input) }
    } catch (err) {
      reply = { ok: false, message: err instanceof InvalidArgument ? err.message : `cannot transform module: ${(err as Error).message}` }
    }
    port.postMessage(reply)
  })
}

/** transformModule in a fresh worker thread. */
export async function transformInWorker (input: Uint8Array): Promise<Uint8Array> {
  // This file by name, not import.meta.url: bundled (dist/cli/ww-start.js), this code is inside the node's bundle,
  // and tools/build-cli.sh puts a bundle of this file alone beside it.
  const worker = new Worker(new URL('./transform-worker.js', import.meta.url), { stderr: true, stdout: true })
  worker.stderr.resume()
  worker.stdout.resume()
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      worker.once('message', (r: Reply | Failure) => r.ok ? resolve(r.bytes) : reject(new InvalidArgument(r.message)))
      worker.once('error', err => reject(new InvalidArgument(`cannot transform module: ${err.message}`)))
      worker.once('exit', code => reject(new InvalidArgument(`module transform stopped (exit ${code})`)))
      worker.postMessage(input)
    })
  } finally {
    void worker.terminate()
  }
}
