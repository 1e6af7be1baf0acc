// One 'abort' listener per AbortSignal, however many channel operations wait on it.
// EventTarget's addEventListener/removeEventListener cost more than a channel hand-off; a guest that
// waits in recv on every message would pay them twice per message. Here a wait costs a Set insert
// and delete. Watchers still run synchronously inside controller.abort(), in the order they were added.

const watchers = new WeakMap<AbortSignal, Set<() => void>>()

/** Calls `onAbort` when `signal` aborts (it has not yet); the returned function stops watching. */
export function watchAbort (signal: AbortSignal, onAbort: () => void): () => void {
  let set = watchers.get(signal)
  if (set === undefined) {
    const fresh = new Set<() => void>()
    set = fresh
    watchers.set(signal, fresh)
    signal.addEventListener('abort', () => {
      watchers.delete(signal)
      for (const fn of fresh) fn()
      fresh.clear()
    }, { once: true })
  }
  set.add(onAbort)
  const watching = set
  return () => { watching.delete(onAbort) }
}
