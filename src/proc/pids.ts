// Where pids come from. A pid names one proc for the life of its host's home: FilePids keeps the
// next unreserved pid in a file and reserves a block at a time before handing any of it out, so a
// restart (even after a crash) starts past every pid printed before it.

import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { InvalidArgument, LimitExceeded } from '../errors.js'

/** The largest pid (ProcInfo.pid is a UInt32). */
const MAX_PID = 0xffffffff

export interface PidSource {
  next: () => number
}

/** Pids from 1, for an executor with no home (tests, benchmarks). */
export class MemoryPids implements PidSource {
  private n = 1
  next (): number { return this.n++ }
}

export class FilePids implements PidSource {
  private nextPid: number
  private reserved: number

  /** `file` holds the first pid not yet reserved (missing: 1). */
  constructor (private readonly file: string, private readonly block: number) {
    this.nextPid = readCounter(file)
    this.reserved = this.nextPid
  }

  next (): number {
    if (this.nextPid >= this.reserved) this.reserve()
    return this.nextPid++
  }

  private reserve (): void {
    if (this.nextPid > MAX_PID) throw new LimitExceeded(`every pid of this home is used (${this.file} is past ${MAX_PID})`)
    const upTo = Math.min(this.nextPid + this.block, MAX_PID + 1)
    const tmp = `${this.file}.${process.pid}.tmp`
    writeFileSync(tmp, `${upTo}\n`)
    renameSync(tmp, this.file)
    this.reserved = upTo
  }
}

function readCounter (file: string): number {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 1
    throw err
  }
  const n = Number(text.trim())
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgument(`${file} should hold the next pid, a positive integer, not ${JSON.stringify(text.trim().slice(0, 20))}; ` +
      'write a number larger than any pid this node printed')
  }
  return n
}
