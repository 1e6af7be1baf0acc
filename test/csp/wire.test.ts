import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import { Message } from '../../src/schema/channel.js'
import { readMessage, writeMessage } from '../../src/caps/chan-message.js'
import { consumed, receivedCall } from '../../src/rpc/wire/call-buffers.js'

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff)

/** A message of several segments, the first one `bytes` long (a multi-segment arena, as connection.ts builds). */
const multiSegment = (bytes: number): capnp.Message => new capnp.Message({ kind: 1, buffers: [new ArrayBuffer(bytes)] } as unknown as ArrayBuffer, false)

/** A Message written by writeMessage, serialized, and read back by capnp-es alone (or by readMessage). */
function roundTrip (data: Uint8Array, firstSegmentBytes?: number): { viaCapnp: Uint8Array, viaWire: Uint8Array, segments: number } {
  const msg = firstSegmentBytes === undefined ? new capnp.Message() : multiSegment(firstSegmentBytes)
  writeMessage(msg.initRoot(Message), { data })
  const segments = msg._capnp.segments.length
  const back = new capnp.Message(msg.toArrayBuffer(), false)
  const root = back.getRoot(Message)
  const viaCapnp = root._hasData() ? root.data.toUint8Array().slice() : new Uint8Array(0)
  return { viaCapnp, viaWire: readMessage(back.getRoot(Message)).data, segments }
}

describe('csp: channel message wire format', () => {
  it('writes Data that capnp-es reads back, and reads back what it wrote, for sizes around word boundaries', () => {
    for (const n of [0, 1, 7, 8, 9, 63, 64, 65, 1000]) {
      const data = bytes(n)
      const { viaCapnp, viaWire } = roundTrip(data)
      assert.deepEqual(viaCapnp, data, `capnp-es reading ${n} bytes`)
      assert.deepEqual(viaWire, data, `readMessage reading ${n} bytes`)
    }
  })

  it('data that does not fit the first segment goes to another one (far pointer) and still reads back', () => {
    const data = bytes(5000)
    const { viaCapnp, viaWire, segments } = roundTrip(data, 64)
    assert.ok(segments > 1, 'the data landed in a second segment')
    assert.deepEqual(viaCapnp, data)
    assert.deepEqual(viaWire, data)
  })

  it('data in a call buffer is copied out: the buffer serving the next call does not change it', () => {
    const msg = new capnp.Message()
    writeMessage(msg.initRoot(Message), { data: bytes(16) })
    const seg = msg.getSegment(0)
    const call = receivedCall(new DataView(seg.buffer, 0, seg.byteLength), 1 << 20)
    assert.ok(call !== undefined, 'a small message fits a call buffer')
    const got = readMessage(call.getRoot(Message)).data
    consumed(call) // the call is handled: its buffer is zeroed and kept for the next one
    assert.deepEqual(got, bytes(16))
  })

  it('following the data pointer is charged to the received message\'s traversal limit', () => {
    const msg = new capnp.Message()
    writeMessage(msg.initRoot(Message), { data: bytes(16) })
    const back = new capnp.Message(msg.toArrayBuffer(), false)
    const root = back.getRoot(Message)
    const before = back._capnp.traversalLimit
    assert.deepEqual(readMessage(root).data, bytes(16))
    assert.equal(back._capnp.traversalLimit, before - 8, 'one pointer followed, one word charged')
    back._capnp.traversalLimit = 8 // exhausted: the read is left to capnp-es, which refuses it
    assert.throws(() => readMessage(root))
  })

  it('a data pointer running past the end of its segment is refused, not read', () => {
    const msg = new capnp.Message()
    writeMessage(msg.initRoot(Message), { data: bytes(16) })
    const seg = msg.getSegment(0)
    // root -> Message struct at word 1, its pointer 0 (the data list) at byte 8: claim 10,000 bytes.
    const hi = seg.getUint32(12)
    seg.setUint32(12, (hi & 7) | (10_000 << 3))
    assert.throws(() => readMessage(msg.getRoot(Message)))
  })

  it('large data is written once into a segment grown to fit, and read back as a view of that segment, not a copy', () => {
    const msg = new capnp.Message()
    const data = bytes(64 << 10)
    writeMessage(msg.initRoot(Message), { data })
    assert.equal(msg._capnp.segments.length, 1, 'one segment, grown: no far pointer')
    const seg = msg.getSegment(0)
    assert.ok(seg.byteLength < (64 << 10) + 256, `the segment holds the data and little else: ${seg.byteLength}`)
    const got = readMessage(msg.getRoot(Message)).data
    assert.deepEqual(got, data)
    assert.equal(got.buffer, seg.buffer, 'a view of the segment')
    const small = new capnp.Message()
    writeMessage(small.initRoot(Message), { data: bytes(16) })
    assert.equal(readMessage(small.getRoot(Message)).data.buffer, small.getSegment(0).buffer, 'small data too, when its buffer is its own')
  })
})
