// Channel messages on the wire (schema Message {data, cap}) and in a Chan.

import type * as capnp from 'capnp-es'
import type { Capability } from '../rpc/index.js'
import { Message$Caps } from '../schema/channel.rpc.js'
import type { Message } from '../schema/channel.js'
import { readDataFast, readFieldDataFast, writeDataFast, writeFieldDataFast } from './chan-message-layout.js'

/**
 * A reference to a capability served in this process, counted without an RPC reference of its own (a guest's
 * facet of a channel on this host riding in a message to another guest here). Leaving through RPC, it becomes one.
 */
export interface LocalRef {
  /** A new RPC reference to the same capability (yours to release). */
  capability: () => Capability
  /** Gives this reference back. */
  release: () => void
}

/** A message as a channel holds it: its bytes and the capability riding along (owned), as an RPC reference or a local one. */
export interface ChanMessage {
  data: Uint8Array
  cap: Capability | null
  local?: LocalRef
}

/**
 * A message read off the wire. A class, not a literal: messages wait in a channel's buffer, and
 * V8 allocates the later objects of a literal whose objects mostly survive a scavenge straight in
 * the old generation, where each dead one keeps its young bytes alive until a full GC.
 */
class ReceivedMessage implements ChanMessage {
  local: LocalRef | undefined = undefined
  constructor (public data: Uint8Array, public cap: Capability | null) {}
}

/** A received Message as a channel holds it: small data copied out of its RPC message, large data a view of it (message-layout.ts); the capability is dup'd (yours to release). */
export function readMessage (m: Message): ChanMessage {
  const fast = readDataFast(m)
  if (fast !== undefined) return new ReceivedMessage(fast, null)
  const data = m._hasData() ? m.data.toUint8Array().slice() : new Uint8Array(0)
  const cap = Message$Caps.cap.has(m) ? Message$Caps.cap.get(m).dup() : null
  return new ReceivedMessage(data, cap)
}

/** readMessage of the Message in pointer field `index` of `holder`, whose getter is `field` (Sender.send's params: 0, params.msg). */
export function readMessageField<S extends capnp.Struct> (holder: S, index: number, field: (s: S) => Message): ChanMessage {
  const fast = readFieldDataFast(holder, index)
  return fast !== undefined ? new ReceivedMessage(fast, null) : readMessage(field(holder))
}

/** Fills a Message being built; the message takes its own reference to the capability. */
export function writeMessage (m: Message, msg: { data: Uint8Array, cap?: Capability | null, local?: LocalRef }): void {
  if (msg.data.byteLength > 0 && !writeDataFast(m, msg.data)) m._initData(msg.data.byteLength).copyBuffer(msg.data)
  if (msg.cap != null) Message$Caps.cap.set(m, msg.cap)
  else if (msg.local !== undefined) {
    const cap = msg.local.capability()
    try { Message$Caps.cap.set(m, cap) } finally { cap.release() }
  }
}

/**
 * writeMessage into the Message of pointer field `index` of `holder`, a struct being built, whose
 * init accessor is `init` (Sender.send's params: 0, p => p._initMsg()); a message without a
 * capability is laid out straight in the bytes.
 */
export function writeMessageField<S extends capnp.Struct> (holder: S, index: number, msg: { data: Uint8Array, cap?: Capability | null, local?: LocalRef }, init: (s: S) => Message): void {
  if (msg.cap == null && msg.local === undefined && writeFieldDataFast(holder, index, msg.data)) return
  writeMessage(init(holder), msg)
}

/** Releases the capability a message carries (the Chan release hook). */
export function releaseMessage (msg: ChanMessage): void {
  msg.cap?.release()
  msg.cap = null
  const local = msg.local
  if (local !== undefined) {
    msg.local = undefined
    local.release()
  }
}

/** A message's bytes, as the host's channel budget counts them. */
export function messageBytes (msg: ChanMessage): number {
  return msg.data.byteLength
}
