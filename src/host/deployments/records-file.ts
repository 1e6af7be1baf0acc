// The deployment records a host keeps in its home (`<home>/deployments`), so deployments survive every host
// restarting: the encoded signed records, each after its 4-byte big-endian length. Written whole, atomically.
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import type { SignedDeployment } from '../../cluster/deployments/index.js'

/** The encoded records in `file` (none when it does not exist); each is verified by whoever applies it. */
export function readRecordsFile (file: string): Uint8Array[] {
  let buf: Buffer
  try {
    buf = readFileSync(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: Uint8Array[] = []
  for (let at = 0; at + 4 <= buf.byteLength;) {
    const len = buf.readUInt32BE(at)
    if (at + 4 + len > buf.byteLength) break // a torn tail: what came before still counts
    out.push(buf.subarray(at + 4, at + 4 + len))
    at += 4 + len
  }
  return out
}

export function writeRecordsFile (file: string, records: readonly SignedDeployment[]): void {
  const parts: Buffer[] = []
  for (const r of records) {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(r.bytes.byteLength)
    parts.push(len, Buffer.from(r.bytes))
  }
  const tmp = `${file}.tmp`
  writeFileSync(tmp, Buffer.concat(parts), { mode: 0o600 })
  renameSync(tmp, file)
}
