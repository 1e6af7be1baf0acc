/** Sees the peer's calls by (interface ID, method ID): once when a call arrives, again if its Return is an exception. */
export interface CallObserver {
  call: (interfaceId: bigint, methodId: number) => void
  error: (interfaceId: bigint, methodId: number) => void
}

/** Tells `observer` of a call the peer made, and keeps its method on `entry` for an exception Return later. */
export function observeCall (observer: CallObserver, entry: { interfaceId: bigint, methodId: number }, interfaceId: bigint, methodId: number): void {
  entry.interfaceId = interfaceId
  entry.methodId = methodId
  observer.call(interfaceId, methodId)
}
