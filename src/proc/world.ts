// What a guest can reach through the `ww` host module, as an interface the host layer implements
// (cluster-wide anchors over RPC, spawning on other hosts). local-world.ts is the in-process one.

import type { OpOptions } from '../csp/index.js'
import type { ProcLimits } from './limits.js'
import type { ExitStatus } from './signals.js'

/**
 * What keeps a guest capability's resources (e.g. RPC references) alive, shared by its facets
 * (ww_sender/ww_recver of one channel). Whoever hands a Cap to the guest gives it one reference;
 * each further handle to it retains one more; releasing the last lets the resources go.
 */
export interface CapRef {
  retain: () => void
  release: () => void
}

/**
 * Where a guest capability came from, as the world that made it knows it: how it leaves the proc (for the host
 * layer, a fresh RPC reference; opaque here). A channel's facets (ww_sender/ww_recver) carry its `sender` and
 * `recver` origins. A capability with no origin cannot leave the proc.
 */
export interface CapOrigin {
  /** A fresh reference to the capability as it leaves (the caller's to release). */
  export: () => Promise<unknown>
  /** The same when it needs no waiting; undefined when it does. */
  exportNow?: () => unknown
  sender?: CapOrigin
  recver?: CapOrigin
}

/** A message on a channel: bytes, and at most one capability riding along (e.g. a reply sender). */
export interface Message {
  data: Uint8Array
  cap?: Cap
}

/**
 * `trySend`, when present, delivers at once if the channel can take the message without waiting
 * (true), else does nothing (false): the guest then need not suspend.
 * `request`, when present, is request/reply in one operation (one RPC call to a channel on another host): the
 * message goes with a fresh reply sender in its cap field and the answer comes back. It fails Unimplemented, having
 * sent nothing, when the far side cannot; the caller then sends with a reply channel of its own.
 */
export interface SenderCap {
  kind: 'sender'
  origin?: CapOrigin
  send: (msg: Message, opts?: OpOptions) => Promise<void>
  trySend?: (msg: Message) => boolean
  request?: (data: Uint8Array, opts?: OpOptions) => Promise<Message>
  ref?: CapRef
}
/**
 * Where a receive told through callbacks (`recvThen`) ends: exactly one of the two is called, once, possibly inside
 * another caller's synchronous step (a sender's), so they only do bookkeeping. The message's capability is the sink's.
 */
export interface RecvSink {
  onMessage: (msg: Message) => void
  onError: (err: unknown) => void
}

/**
 * Where the answer to one request arrives (ww_request): `sender` rides in the request (each message carrying it holds
 * a reference of its own); the answer is taken with tryRecv or recv. `end` closes it and gives back the caller's
 * references: an answer sent later fails Closed, so it never reaches another request.
 */
export interface ReplySlot {
  sender: SenderCap
  tryRecv: () => Message | undefined
  recv: (opts?: OpOptions) => Promise<Message>
  end: () => void
}

/**
 * `tryRecv`, when present, takes a message that is there now (buffered or offered by a waiting
 * sender), else returns undefined and takes nothing: the guest then need not suspend.
 * `recvThen`, when present, is recv() told to `sink` in the step of the hand-off, with no promise (Chan.recvThen).
 */
export interface RecverCap {
  kind: 'recver'
  origin?: CapOrigin
  recv: (opts?: OpOptions) => Promise<Message>
  tryRecv?: () => Message | undefined
  recvThen?: (opts: OpOptions, sink: RecvSink) => void
  ref?: CapRef
}
export interface ChanCap {
  kind: 'chan'
  origin?: CapOrigin
  send: (msg: Message, opts?: OpOptions) => Promise<void>
  trySend?: (msg: Message) => boolean
  recv: (opts?: OpOptions) => Promise<Message>
  tryRecv?: () => Message | undefined
  recvThen?: (opts: OpOptions, sink: RecvSink) => void
  close: () => void
  ref?: CapRef
}
export interface ProcCap {
  kind: 'proc'
  origin?: CapOrigin
  ref?: CapRef
  wait: (opts?: OpOptions) => Promise<ExitStatus>
  kill: () => void
  /** The child's stdout, one message per write; closed when it ends. */
  stdout: () => RecverCap
}
export interface AnchorCap { kind: 'anchor', path: readonly string[], ref?: CapRef }

export type Cap = SenderCap | RecverCap | ChanCap | ProcCap | AnchorCap

/** What an anchor holds. */
export type AnchorValue = { cap: Cap } | { bytes: Uint8Array }

export interface GuestModuleRef {
  /** Either the bytes or the SHA-256 of a module. */
  bytes?: Uint8Array
  hash?: Uint8Array
}

export interface GuestSpawnRequest {
  module: GuestModuleRef
  args: string[]
  env: string[]
  /** '' = this host; a peer ID; or `k=v` tag pairs, '\n'-separated, that the host's meta must all have. */
  where: string
  /** Asked for; the world clamps them to the parent's (child-limits.ts). */
  limits?: Partial<ProcLimits>
  /** Capabilities handed to the child (it finds them with ww_arg_cap); the spawner keeps its own handles. */
  caps?: Cap[]
  /** The child's root: this path under the spawner's root (absent = the spawner's root). */
  root?: string[]
  /** The child outlives its parent (else it is killed when the parent ends). */
  detached?: boolean
}

/** A live host of the cluster as a guest sees it. */
export interface HostEntry {
  peer: string
  /** Its `k=v` meta pairs. */
  meta: string[]
}

/** How a send to a named endpoint picks one of its live endpoints. */
export type EndpointPick = 'round-robin' | 'random'

/** Named endpoints as a proc uses them: what it publishes ends with it. */
export interface GuestEndpoints {
  /** Publishes a channel's send end under `name` (replacing this proc's earlier one there). */
  publish: (name: string, cap: Cap) => Promise<void>
  /** Ends this proc's endpoint under `name`; false when it had none. */
  unpublish: (name: string) => boolean
  /** How many live endpoints `name` has across the cluster. */
  count: (name: string, opts?: OpOptions) => Promise<number>
  /** Sends to one live endpoint of `name` (NotFound when none). */
  send: (name: string, msg: Message, pick: EndpointPick, opts?: OpOptions) => Promise<void>
}

/**
 * One proc's view of the world. Paths are already split into components and are relative to the
 * proc's root (so a confined proc cannot name anything outside it). Errors are the typed errors
 * of src/errors.ts; the host module turns them into return codes.
 */
export interface GuestWorld {
  walk: (path: string[], opts?: OpOptions) => Promise<AnchorCap>
  ls: (path: string[], opts?: OpOptions) => Promise<string[]>
  /** NotFound when the anchor holds nothing. */
  load: (path: string[], opts?: OpOptions) => Promise<AnchorValue>
  /** Occupied when the anchor holds a value and overwrite is false. */
  store: (path: string[], value: AnchorValue | undefined, overwrite: boolean, opts?: OpOptions) => Promise<void>
  chan: (capacity: number) => ChanCap
  /** A request's reply channel, when the world has one cheaper than chan(1) (ReplySlot). */
  reply?: () => ReplySlot
  spawn: (req: GuestSpawnRequest, opts?: OpOptions) => Promise<ProcCap>
  /** The peer ID of the host the proc runs on. */
  peerId?: () => string
  /** Live hosts (this one included) whose meta has every `k=v` pair of `where`, in peer ID order. */
  hosts?: (where: string[]) => HostEntry[]
  /** The capabilities the spawner handed this proc (each with one reference for the proc); asked once. */
  argCaps?: () => Cap[]
  /** Publishes to a cluster topic (every subscriber, this host's included). */
  publish?: (topic: string, data: Uint8Array, opts?: OpOptions) => Promise<void>
  /** A receive end fed with a cluster topic's messages (a full buffer drops the oldest); its last handle going unsubscribes. */
  subscribe?: (topic: string, buffer: number) => RecverCap
  /** Named endpoints; none = ww_endpoint_* fail Unimplemented. */
  endpoints?: GuestEndpoints
}
