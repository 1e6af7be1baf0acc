/** Sees the peer's calls by (interface ID, method ID): once when a call arrives, again if its Return is an exception. */
export interface CallObserver {
  call: (interfaceId: bigint, methodId: number) => void
  error: (interfaceId: bigint, methodId: number) => void
}
