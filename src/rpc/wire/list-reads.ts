// Every list a reader opens is checked before its length is believed, as capnp's C++ reader does:
// the list's bytes must lie inside its segment, and a list of zero-size elements (Void, or structs
// of no words) is charged one word per element against the message's traversal limit, since such a
// list can claim 2^29 elements in 8 bytes. capnp-es checks neither: `[...list]` of a 2^29-element
// Void list allocated an array of 2^29 elements and ran the node out of memory.
//
// capnp-es reads every list length (iteration, toArray, map, generated getters' callers) through
// the `length` getter of its List class; this module replaces that getter once, at load, for every
// list in the process (received or built: a list we built is inside its segment and small).
//
// One read allocates before any length is asked: capnp-es's getList, reading a struct list whose
// elements are smaller than the reader's struct, copies it into a new list of the reader's size
// (2^26 zero-size elements read as 16-byte structs: 1 GiB). Allocation in a received message is
// therefore charged to its traversal limit too (Segment.allocate, below).
import * as capnp from 'capnp-es'
import { InvalidArgument, LimitExceeded } from '../../errors.js'
import { ReceivedArena } from './message.js'

const { followFars, getContent, getTargetCompositeListTag } = capnp.utils
type Ptr = capnp.Pointer

const LIST = 1
const COMPOSITE = 7
/** Bits per element of each non-composite element size (0 void, 1 bit, 2..5 bytes 1/2/4/8, 6 pointer). */
const elementBits = [0, 1, 8, 16, 32, 64, 64]

interface Traversal { traversalLimit: number, arena: object }

function charge (p: Ptr, words: number): void {
  const state = p.segment.message._capnp as unknown as Traversal
  state.traversalLimit -= words * 8
  if (state.traversalLimit <= 0) throw new LimitExceeded(`message reads more words than its traversal limit (a list of ${words} zero-size elements)`)
}

type Segment = ReturnType<capnp.Message['getSegment']>
const segmentPrototype = Object.getPrototypeOf(new capnp.Message().getSegment(0)) as Segment
const allocate = segmentPrototype.allocate
if (typeof allocate !== 'function') throw new Error('capnp-es Segment has no allocate to guard')
segmentPrototype.allocate = function (this: Segment, byteLength: number) {
  const state = this.message._capnp as unknown as Traversal
  if (state.arena instanceof ReceivedArena) {
    state.traversalLimit -= byteLength
    if (state.traversalLimit <= 0) throw new LimitExceeded(`reading a received message would allocate more than its traversal limit (${byteLength} bytes at once)`)
  }
  return allocate.call(this, byteLength)
}

/** The element count of list `p` once its bytes are known to lie in its segment (zero-size elements charged). */
export function checkedListLength (p: Ptr): number {
  const t = followFars(p)
  const lo = t.segment.getUint32(t.byteOffset)
  const hi = t.segment.getUint32(t.byteOffset + 4)
  if (lo === 0 && hi === 0) return 0
  if ((lo & 3) !== LIST) throw new InvalidArgument('malformed message: a list field holds a pointer that is not a list')
  const size = hi & 7
  const content = getContent(p, true)
  const room = content.segment.byteLength - content.byteOffset
  if (size === COMPOSITE) {
    const words = hi >>> 3
    const tag = getTargetCompositeListTag(p)
    const count = tag.segment.getUint32(tag.byteOffset) >>> 2
    const structWords = tag.segment.getUint16(tag.byteOffset + 4) + tag.segment.getUint16(tag.byteOffset + 6)
    if (content.byteOffset < 8 || words * 8 > room || count * structWords > words) {
      throw new InvalidArgument('malformed message: a struct list runs past its segment')
    }
    if (structWords === 0) charge(p, count)
    return count
  }
  const count = hi >>> 3
  if (content.byteOffset < 0 || Math.ceil(count * elementBits[size] / 8) > room) {
    throw new InvalidArgument('malformed message: a list runs past its segment')
  }
  if (size === 0) charge(p, count)
  return count
}

const descriptor = Object.getOwnPropertyDescriptor(capnp.List.prototype, 'length')
if (descriptor?.get === undefined || descriptor.configurable !== true) throw new Error('capnp-es List has no length getter to guard')
Object.defineProperty(capnp.List.prototype, 'length', {
  configurable: true,
  get (this: Ptr): number { return checkedListLength(this) }
})
