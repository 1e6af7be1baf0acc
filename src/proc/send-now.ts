// A send that completes without waiting when it can: Chan.offer hands a message over (to a waiting
// receiver or into the buffer) synchronously, so a guest need not suspend for it.

import type { Chan } from '../csp/index.js'

/** True (and sent) if the channel took the message at once; false (and nothing sent) otherwise. */
export function trySendNow<T> (chan: Chan<T>, msg: T): boolean {
  return chan.offer(msg)
}

/** Sends; returns a promise only when the sender has to wait. */
export function sendSoon<T> (chan: Chan<T>, msg: T): void | Promise<void> {
  return chan.offer(msg) ? undefined : chan.send(msg)
}
