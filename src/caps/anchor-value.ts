// Anchor values on the wire (schema Value, a union of bytes and capabilities) and in the tree.

import type { Capability } from '../rpc/index.js'
import { setUnionTag } from '../rpc/wire/fields.js'
import { Anchor_Load$Results$Caps, Value$Caps } from '../schema/anchor.rpc.js'
import { type Anchor_Load$Results, Kind, Value, Value_Which } from '../schema/anchor.js'
import { InvalidArgument } from '../errors.js'
import type { AnchorValue, CapKind, ValueKind } from '../anchor/tree.js'

const whichOfKind: Record<CapKind, Value_Which> = {
  chan: Value_Which.CHAN,
  sender: Value_Which.SENDER,
  recver: Value_Which.RECVER,
  closer: Value_Which.CLOSER,
  proc: Value_Which.PROC,
  anchor: Value_Which.ANCHOR,
  cap: Value_Which.CAP
}

const kindOfWhich = new Map<number, CapKind>(Object.entries(whichOfKind).map(([k, w]) => [w, k as CapKind]))

const wireKind: Record<ValueKind | 'empty', Kind> = {
  empty: Kind.EMPTY,
  bytes: Kind.BYTES,
  chan: Kind.CHAN,
  sender: Kind.SENDER,
  recver: Kind.RECVER,
  closer: Kind.CLOSER,
  proc: Kind.PROC,
  anchor: Kind.ANCHOR,
  cap: Kind.CAP
}

/** The schema Kind of what an anchor holds. */
export function kindToWire (kind: ValueKind | 'empty'): Kind {
  return wireKind[kind]
}

/**
 * Reads a received Value into a tree value; a capability is dup'd and released by the tree when
 * it lets go. Returns undefined for an empty value.
 */
export function readValue (v: Value): AnchorValue<Capability> | undefined {
  const which = v.which()
  if (which === Value_Which.EMPTY) return undefined
  if (which === Value_Which.BYTES) return { kind: 'bytes', bytes: v._hasBytes() ? v.bytes.toUint8Array().slice() : new Uint8Array(0) }
  const kind = kindOfWhich.get(which)
  if (kind === undefined) throw new InvalidArgument(`unknown value kind ${which}`)
  if (!Value$Caps.cap.has(v)) throw new InvalidArgument(`a ${kind} value without a capability`)
  const cap = Value$Caps.cap.get(v).dup()
  return { kind, cap, release: () => { cap.release() } }
}

/** Fills a Value being built; the message takes its own reference to a capability. */
export function writeValue (v: Value, value: AnchorValue<Capability> | undefined): void {
  if (value === undefined) {
    v.empty = true
  } else if (value.kind === 'bytes') {
    v._initBytes(value.bytes.byteLength).copyBuffer(value.bytes)
  } else {
    // The generated Value$Caps accessors set the pointer only; the union tag is set here.
    setUnionTag(v, 0, whichOfKind[value.kind])
    Value$Caps.cap.set(v, value.cap)
  }
}

/**
 * Fills the results of Anchor.load: the value, and its capability once more in the plain field `cap`, which clients
 * that cannot pipeline on a union member (C++, pycapnp) pipeline on.
 */
export function writeLoadResults (results: Anchor_Load$Results, value: AnchorValue<Capability> | undefined): void {
  writeValue(results._initValue(), value)
  if (value !== undefined && value.kind !== 'bytes') Anchor_Load$Results$Caps.cap.set(results, value.cap)
}
