// One 'abort' listener per AbortSignal, however many channel operations wait on it.
// EventTarget's addEventListener/removeEventListener cost more than a channel hand-off; a guest that
// waits in recv on every message would pay them twice per message. Here a wait links a node into a
// list hung off the signal and unlinks it when done. Watchers run synchronously inside
// controller.abort(), in the order they were added.

const WATCHERS = Symbol('ww.abortWatchers')

export interface AbortWatch {
  readonly onAbort: () => void
  prev: AbortWatch | undefined
  next: AbortWatch | undefined
  /** The list it is linked into; undefined once unwatched or fired. */
  list: WatchList | undefined
}

interface WatchList { head: AbortWatch | undefined, tail: AbortWatch | undefined }

type Watched = AbortSignal & { [WATCHERS]?: WatchList }

/** Calls `onAbort` when `signal` aborts (it has not yet), unless unwatchAbort comes first. */
export function watchAbort (signal: AbortSignal, onAbort: () => void): AbortWatch {
  const s = signal as Watched
  let list = s[WATCHERS]
  if (list === undefined) {
    const fresh: WatchList = { head: undefined, tail: undefined }
    list = s[WATCHERS] = fresh
    signal.addEventListener('abort', () => {
      let w = fresh.head
      fresh.head = fresh.tail = undefined
      while (w !== undefined) {
        const next = w.next
        w.list = w.prev = w.next = undefined
        w.onAbort()
        w = next
      }
    }, { once: true })
  }
  const w: AbortWatch = { onAbort, prev: list.tail, next: undefined, list }
  if (list.tail === undefined) list.head = w
  else list.tail.next = w
  list.tail = w
  return w
}

/** Stops a watch; nothing if it fired already. */
export function unwatchAbort (w: AbortWatch): void {
  const list = w.list
  if (list === undefined) return
  if (w.prev === undefined) list.head = w.next
  else w.prev.next = w.next
  if (w.next === undefined) list.tail = w.prev
  else w.next.prev = w.prev
  w.list = w.prev = w.next = undefined
}
