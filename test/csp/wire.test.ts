import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import { Message, Sender_Send$Params } from '../../src/schema/channel.js'
import { readMessage, readMessageField, writeMessage, writeMessageField } from '../../src/caps/chan-message.js'
import { consumed, receivedCall, takeCallBuffer } from '../../src/rpc/wire/call-buffers.js'

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

  describe('a send\'s message read from its params (readMessageField: no struct for the Message)', () => {
    /** A received Sender.send params struct carrying `data` (and a capability pointer when `withCap`), read with a fresh limit. */
    function sentParams (data: Uint8Array, withCap = false): { params: Sender_Send$Params, msg: capnp.Message } {
      const built = new capnp.Message()
      const m = built.initRoot(Sender_Send$Params)._initMsg()
      writeMessage(m, { data })
      if (withCap) capnp.utils.getPointer(1, m).segment.setUint32(capnp.utils.getPointer(1, m).byteOffset, 3) // an interface pointer
      const msg = new capnp.Message(built.toArrayBuffer(), false)
      return { params: msg.getRoot(Sender_Send$Params), msg }
    }
    const msgOf = (p: Sender_Send$Params): Message => p.msg

    it('reads the same data as the Message struct would, charging the same two pointers to the traversal limit', () => {
      for (const n of [0, 1, 16, 1000]) {
        const a = sentParams(bytes(n))
        const b = sentParams(bytes(n))
        const la = a.msg._capnp.traversalLimit
        const lb = b.msg._capnp.traversalLimit
        assert.deepEqual(readMessageField(a.params, 0, msgOf).data, bytes(n))
        assert.deepEqual(readMessage(b.params.msg).data, bytes(n))
        assert.equal(la - a.msg._capnp.traversalLimit, lb - b.msg._capnp.traversalLimit, `${n} bytes: the same charge either way`)
      }
    })

    it('with the traversal limit exhausted, the read is refused, not made', () => {
      const { params, msg } = sentParams(bytes(16))
      msg._capnp.traversalLimit = 8
      assert.throws(() => readMessageField(params, 0, msgOf), /Traversal limit/)
      const again = sentParams(bytes(16))
      again.msg._capnp.traversalLimit = 16 // the Message, not its data
      assert.throws(() => readMessageField(again.params, 0, msgOf), /Traversal limit/)
    })

    it('a Message nested past the depth limit is refused (as capnp-es does); one with a capability pointer is read through its struct', () => {
      const { msg } = sentParams(bytes(16))
      const shallow = new Sender_Send$Params(msg.getSegment(0), 0, 2) // room for the Message, not its data
      assert.throws(() => readMessageField(shallow, 0, msgOf), /depth limit/)
      const withCap = sentParams(bytes(16), true)
      assert.deepEqual(readMessageField(withCap.params, 0, msgOf).data, bytes(16), 'read through the Message struct, capability and all')
    })
  })

  describe('a send\'s message written into its params (writeMessageField: no struct object for the Message)', () => {
    const initMsg = (p: Sender_Send$Params): Message => p._initMsg()
    /** The params' bytes as capnp-es serializes them. */
    const wire = (msg: capnp.Message): Uint8Array => new Uint8Array(msg.toArrayBuffer())

    it('lays out the same bytes as writeMessage into _initMsg(), which capnp-es reads back, for sizes around word boundaries', () => {
      for (const n of [0, 1, 7, 8, 9, 16, 1000]) {
        const a = new capnp.Message()
        writeMessageField(a.initRoot(Sender_Send$Params), 0, { data: bytes(n) }, initMsg)
        const b = new capnp.Message()
        writeMessage(b.initRoot(Sender_Send$Params)._initMsg(), { data: bytes(n) })
        assert.deepEqual(wire(a), wire(b), `${n} bytes`)
        const back = new capnp.Message(a.toArrayBuffer(), false).getRoot(Sender_Send$Params)
        assert.deepEqual(back.msg._hasData() ? back.msg.data.toUint8Array() : new Uint8Array(0), bytes(n))
      }
    })

    it('in a call buffer: small data fits it, large data grows the segment; both read back', () => {
      for (const n of [16, 4000]) {
        const msg = takeCallBuffer().builtMessage()
        writeMessageField(msg.initRoot(Sender_Send$Params), 0, { data: bytes(n) }, initMsg)
        assert.equal(msg._capnp.segments.length, 1, 'one segment')
        const back = new capnp.Message(msg.toArrayBuffer(), false).getRoot(Sender_Send$Params)
        assert.deepEqual(back.msg.data.toUint8Array(), bytes(n))
        consumed(msg)
      }
    })

    it('a params whose msg is already set is left to capnp-es (the fast path writes only into a null pointer)', () => {
      const a = new capnp.Message()
      const p = a.initRoot(Sender_Send$Params)
      writeMessage(p._initMsg(), { data: bytes(8) })
      writeMessageField(p, 0, { data: bytes(24) }, initMsg)
      assert.deepEqual(p.msg.data.toUint8Array(), bytes(24), 'capnp-es re-initialized it')
    })
  })
})
