import { mkdirSync, statSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs'
import type { Home } from './home.js'
import { AlreadyExists, PermissionDenied } from '../errors.js'

/** A second node was started on a home that already has one. */
export class AlreadyRunning extends AlreadyExists {}

/**
 * Whether process `pid` still runs. A process that has exited but not yet been reaped (a zombie: a
 * detached node's parent is init, which may reap late) has stopped: signal 0 still reaches it, its
 * /proc state says Z.
 */
export function processRuns (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true // no /proc here: signal 0 is all there is
  }
}

/**
 * Claims the home for this process with an exclusive pid file. A pid file left by a
 * process that no longer exists is taken over. Returns the function that gives it back.
 */
export function lockHome (home: Home): () => void {
  mkdirSync(home.dir, { recursive: true, mode: 0o700 })
  checkHomeIsPrivate(home.dir)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(home.pidFile, 'wx', 0o600)
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      return () => {
        try {
          if (Number(readFileSync(home.pidFile, 'utf8')) === process.pid) unlinkSync(home.pidFile)
        } catch {}
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number.parseInt(readFileSync(home.pidFile, 'utf8'), 10)
      if (Number.isInteger(pid) && pid !== process.pid && processRuns(pid)) {
        throw new AlreadyRunning(`a ww node (pid ${pid}) is already running at ${home.dir}`)
      }
      unlinkSync(home.pidFile)
    }
  }
  throw new AlreadyRunning(`could not claim ${home.pidFile}`)
}

/**
 * The home holds the API socket, which is the owner's authority over the node: a home others can write
 * (or that another user owns) would let them put their own socket, identity or policy there.
 */
export function checkHomeIsPrivate (dir: string): void {
  const st = statSync(dir)
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid) {
    throw new PermissionDenied(`the home ${dir} belongs to another user (uid ${st.uid}): use a home of your own (--home DIR)`)
  }
  if ((st.mode & 0o022) !== 0) {
    throw new PermissionDenied(`the home ${dir} can be written by others (mode ${(st.mode & 0o777).toString(8)}): chmod 700 ${dir}`)
  }
}
