// capnp-es struct objects made without running their constructors. Every generated struct class
// shares capnp-es's Pointer constructor, whose class-field initializers turn megamorphic: about a
// microsecond per object on Node 20, against ~0.1 µs for Object.create and three stores. The
// object is the same as the constructor's (own properties, their order, the depth and traversal
// accounting); a class whose constructed objects look different, and every case where the
// constructor would throw (depth or traversal limit), goes through the constructor instead.
import * as capnp from 'capnp-es'
import { chargeTraversal } from './layout.js'

type Segment = ReturnType<capnp.Message['getSegment']>

/** capnp-es's default nesting depth limit (what `new Struct(segment, offset)` gets). */
const probe = new capnp.Struct(new capnp.Message().getSegment(0), 0)
export const DEFAULT_DEPTH_LIMIT = probe._capnp.depthLimit

/**
 * On each class: whether a constructed object has exactly the properties makeStruct gives (a
 * property, not a WeakMap: it is read for every struct). It names its class, since a subclass sees
 * its parent's static properties.
 */
const SHAPE_OK = Symbol('ww.structShapeOk')
type Checked = { [SHAPE_OK]?: { ctor: object, ok: boolean } }

function sameShape (Ctor: capnp.StructCtor<capnp.Struct>, seg: Segment, byteOffset: number, depthLimit: number): boolean {
  const mark = (Ctor as Checked)[SHAPE_OK]
  if (mark !== undefined && mark.ctor === Ctor) return mark.ok
  const made = new Ctor(seg, byteOffset, depthLimit)
  const ok = JSON.stringify(Object.keys(made)) === '["_capnp","byteOffset","segment"]' &&
    JSON.stringify(Object.keys(made._capnp)) === '["compositeList","depthLimit","compositeIndex"]'
  Object.defineProperty(Ctor, SHAPE_OK, { value: { ctor: Ctor, ok } })
  return ok
}

/** `new Ctor(seg, byteOffset, depthLimit)` for a struct pointer at `byteOffset` (not a composite-list element). */
export function makeStruct<T extends capnp.Struct> (Ctor: capnp.StructCtor<T>, seg: Segment, byteOffset: number, depthLimit = DEFAULT_DEPTH_LIMIT): T {
  const m = seg.message._capnp
  if (depthLimit < 1 || byteOffset < 0 || byteOffset > seg.byteLength || !sameShape(Ctor, seg, byteOffset, depthLimit) || !chargeTraversal(m)) {
    return new Ctor(seg, byteOffset, depthLimit)
  }
  const s = Object.create(Ctor.prototype) as { _capnp: unknown, byteOffset: number, segment: Segment }
  s._capnp = { compositeList: false, depthLimit, compositeIndex: undefined }
  s.byteOffset = byteOffset
  s.segment = seg
  return s as unknown as T
}
