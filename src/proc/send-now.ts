// A send that completes without waiting when it can. src/csp hands a message over (to a waiting
// receiver or into the buffer) synchronously inside send(); when stat() says it will, the returned
// promise carries nothing the caller needs, so a guest need not suspend for it.

import type { Chan } from '../csp/index.js'

/** True (and sent) if the channel took the message at once; false (and nothing sent) otherwise. */
export function trySendNow<T> (chan: Chan<T>, msg: T): boolean {
  const st = chan.stat()
  if (st.closed || (st.waitingRecvers === 0 && (st.waitingSenders > 0 || st.buffered >= st.capacity))) return false
  chan.send(msg).catch(() => {})
  return true
}

/** Sends; returns a promise only when the sender has to wait. */
export function sendSoon<T> (chan: Chan<T>, msg: T): void | Promise<void> {
  return trySendNow(chan, msg) ? undefined : chan.send(msg)
}
