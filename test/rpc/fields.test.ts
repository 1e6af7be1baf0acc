// The direct field accessors (src/rpc/wire/fields.ts, written into the generated classes by capnpc-ww) must agree
// with capnp-es both ways: what they write reads back through capnp-es's own functions, byte for
// byte as capnp-es would have laid it out, and they read what capnp-es writes, including the
// cases they hand back to capnp-es (far pointers, full segments, composite-list elements).
import assert from 'node:assert/strict'
import * as capnp from 'capnp-es'
import { Primitives, Point, Test_MakeHolder$Results, Holder } from './interop/gen/interop.js'
import { makeStruct } from '../../src/rpc/wire/struct.js'
import { setCapPointer, setUnionTag } from '../../src/rpc/wire/fields.js'
import { Value, Value_Which } from '../../src/schema/anchor.js'

const u = capnp.utils

const values = {
  b: true, i8: -7, i16: -300, i32: -70000, i64: -(1n << 40n), u8: 200, u16: 60000, u32: 4000000000, u64: (1n << 63n) + 5n,
  f32: 1.5, f64: -2.25e100
}

/** Writes `values` through capnp-es's own functions (what the generated accessors did before). */
function writeWithCapnp (p: Primitives): void {
  u.setBit(0, values.b, p)
  u.setInt8(1, values.i8, p)
  u.setInt16(2, values.i16, p)
  u.setInt32(4, values.i32, p)
  u.setInt64(8, values.i64, p)
  u.setUint8(16, values.u8, p)
  u.setUint16(18, values.u16, p)
  u.setUint32(20, values.u32, p)
  u.setUint64(24, values.u64, p)
  u.setFloat32(32, values.f32, p)
  u.setFloat64(40, values.f64, p)
  u.setText(0, 'héllo ✓', p)
}

function bytesOf (msg: capnp.Message): Uint8Array {
  return new Uint8Array(msg.toArrayBuffer())
}

describe('rpc: direct field accessors', () => {
  it('are written into the plain fields of the generated classes (not lists, not _init of lists)', () => {
    const direct = (C: { prototype: object }, name: string): boolean => String(Object.getOwnPropertyDescriptor(C.prototype, name)?.get).includes('$direct.')
    for (const f of ['b', 'i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'f32', 'f64', 'text']) assert.ok(direct(Primitives, f), f)
    assert.ok(direct(Test_MakeHolder$Results, 'holder'))
    assert.ok(String(Test_MakeHolder$Results.prototype._initHolder).includes('$direct.'))
    assert.ok(!direct(Primitives, 'points'))
    assert.ok(!direct(Primitives, 'data'))
  })

  it('write primitives and text exactly as capnp-es does', () => {
    const a = new capnp.Message()
    const pa = a.initRoot(Primitives)
    pa.b = values.b; pa.i8 = values.i8; pa.i16 = values.i16; pa.i32 = values.i32; pa.i64 = values.i64
    pa.u8 = values.u8; pa.u16 = values.u16; pa.u32 = values.u32; pa.u64 = values.u64; pa.f32 = values.f32; pa.f64 = values.f64
    pa.text = 'héllo ✓'
    const b = new capnp.Message()
    writeWithCapnp(b.initRoot(Primitives))
    assert.deepEqual(bytesOf(a), bytesOf(b))
  })

  it('read what capnp-es wrote, from a received copy too', () => {
    const m = new capnp.Message()
    writeWithCapnp(m.initRoot(Primitives))
    for (const p of [m.getRoot(Primitives), new capnp.Message(m.toArrayBuffer(), false).getRoot(Primitives)]) {
      assert.deepEqual({ b: p.b, i8: p.i8, i16: p.i16, i32: p.i32, i64: p.i64, u8: p.u8, u16: p.u16, u32: p.u32, u64: p.u64, f32: p.f32, f64: p.f64 }, values)
      assert.equal(p.text, 'héllo ✓')
    }
  })

  it('setting a bool leaves its neighbours alone; a null text reads as empty', () => {
    const m = new capnp.Message()
    const p = m.initRoot(Primitives)
    u.setUint8(0, 0xfe, p)
    p.b = true
    assert.equal(u.getUint8(0, p), 0xff)
    p.b = false
    assert.equal(u.getUint8(0, p), 0xfe)
    assert.equal(p.text, '')
    assert.equal(u.getText(0, p), '')
  })

  it('an empty text and a second write of a text take capnp-es\'s layout', () => {
    const a = new capnp.Message()
    const pa = a.initRoot(Point)
    pa.label = ''
    pa.label = 'again' // not null any more: capnp-es's own setter
    const b = new capnp.Message()
    const pb = b.initRoot(Point)
    u.setText(0, '', pb)
    u.setText(0, 'again', pb)
    assert.deepEqual(bytesOf(a), bytesOf(b))
    assert.equal(new capnp.Message(a.toArrayBuffer(), false).getRoot(Point).label, 'again')
  })

  it('init and get a struct field as capnp-es does', () => {
    const a = new capnp.Message()
    const h = a.initRoot(Test_MakeHolder$Results)._initHolder()
    h.name = 'held'
    const b = new capnp.Message()
    const hb = u.initStructAt(0, Holder, b.initRoot(Test_MakeHolder$Results))
    u.setText(0, 'held', hb)
    assert.deepEqual(bytesOf(a), bytesOf(b))
    const r = new capnp.Message(b.toArrayBuffer(), false).getRoot(Test_MakeHolder$Results)
    assert.ok(r.holder instanceof Holder)
    assert.equal(r.holder.name, 'held')
    assert.equal(r.holder.name, u.getStruct(0, Holder, r).name)
  })

  it('writes that do not fit the segment go through capnp-es (it grows the buffer)', () => {
    const m = new capnp.Message()
    const p = m.initRoot(Point)
    const long = 'x'.repeat(10000)
    p.label = long
    assert.equal(u.getText(0, p), long)
    assert.equal(new capnp.Message(m.toArrayBuffer(), false).getRoot(Point).label, long)
  })

  it('a text behind a far pointer reads through capnp-es', () => {
    // segment 0: root -> Point {1 data word, 1 pointer}; its pointer is far, to segment 1 word 0
    // (a landing pad: list pointer to the bytes after it).
    const seg0 = new ArrayBuffer(24)
    const d0 = new DataView(seg0)
    d0.setUint32(0, 0, true); d0.setUint32(4, 1 | (1 << 16), true)
    d0.setInt32(8, 7, true); d0.setInt32(12, -3, true)
    d0.setUint32(16, 2, true); d0.setUint32(20, 1, true) // far, landing pad at word 0 of segment 1
    const seg1 = new ArrayBuffer(16)
    const d1 = new DataView(seg1)
    d1.setUint32(0, 1, true); d1.setUint32(4, (4 << 3) | 2, true) // list of 4 bytes right after
    new Uint8Array(seg1).set([102, 97, 114, 0], 8) // "far\0"
    const m = new capnp.Message({ kind: 1, buffers: [seg0, seg1] } as unknown as ArrayBuffer, false)
    const p = m.getRoot(Point)
    assert.equal(p.label, 'far')
    assert.deepEqual([p.x, p.y], [7, -3])
  })

  it('a text pointer out of bounds fails as capnp-es fails', () => {
    const seg = new ArrayBuffer(24)
    const dv = new DataView(seg)
    dv.setUint32(4, 1 | (1 << 16), true)
    dv.setUint32(16, (100 << 2) | 1, true); dv.setUint32(20, (5 << 3) | 2, true) // 5 bytes, 100 words on
    const read = (): unknown => new capnp.Message(seg, false, true).getRoot(Point).label
    const viaCapnp = (): unknown => u.getText(0, new capnp.Message(seg, false, true).getRoot(Point))
    assert.throws(viaCapnp)
    assert.throws(read)
  })

  it('a struct from an older schema (smaller) reads through capnp-es', () => {
    // root -> Point with no data section and one pointer: x and y read as capnp-es reads them.
    const seg = new ArrayBuffer(16)
    const dv = new DataView(seg)
    dv.setUint32(4, 1 << 16, true)
    const p = new capnp.Message(seg, false, true).getRoot(Point)
    assert.equal(p.label, '')
    let direct: unknown, viaCapnp: unknown
    try { direct = p.x } catch (err) { direct = (err as Error).message }
    try { viaCapnp = u.getInt32(0, p) } catch (err) { viaCapnp = (err as Error).message }
    assert.equal(direct, viaCapnp)
  })

  it('elements of a struct list go through capnp-es', () => {
    const m = new capnp.Message()
    const l = m.initRoot(Primitives)._initPoints(2)
    l.get(1).label = 'second'
    l.get(1).x = 3
    assert.equal(l.get(0).label, '')
    assert.equal(l.get(1).label, 'second')
    assert.equal(u.getText(0, l.get(1)), 'second')
    assert.equal(u.getInt32(0, l.get(1)), 3)
  })

  it('a capability pointer is written as capnp-es writes it; a set pointer or a list element is left to capnp-es', () => {
    const direct = new capnp.Message()
    const a = direct.initRoot(Holder)
    assert.ok(setCapPointer(a, 1, 5))
    const viaCapnp = new capnp.Message()
    u.setInterfacePointer(5, u.getPointer(1, viaCapnp.initRoot(Holder)))
    assert.deepEqual(bytesOf(direct), bytesOf(viaCapnp))
    assert.equal(u.getCapabilityId(u.getPointer(1, a)), 5)
    assert.equal(setCapPointer(a, 1, 6), false)
    const points = new capnp.Message().initRoot(Primitives)._initPoints(2)
    assert.equal(setCapPointer(points.get(0), 0, 1), false)
  })

  it('a union tag is written as capnp-es writes it', () => {
    const direct = new capnp.Message()
    const v = direct.initRoot(Value)
    setUnionTag(v, 0, Value_Which.SENDER)
    const viaCapnp = new capnp.Message()
    u.setUint16(0, Value_Which.SENDER, viaCapnp.initRoot(Value))
    assert.deepEqual(bytesOf(direct), bytesOf(viaCapnp))
    assert.equal(v.which(), Value_Which.SENDER)
  })

  it('makeStruct builds the object the constructor builds, with the same accounting', () => {
    const a = new capnp.Message()
    a.initRoot(Point)
    const b = new capnp.Message()
    b.initRoot(Point)
    for (let i = 0; i < 2; i++) { // the first use of a class also runs the constructor once (shape check)
      const la = a._capnp.traversalLimit
      const lb = b._capnp.traversalLimit
      const made = makeStruct(Point, a.getSegment(0), 0, 5)
      const built = new Point(b.getSegment(0), 0, 5)
      assert.equal(Object.getPrototypeOf(made), Point.prototype)
      assert.deepEqual(Object.keys(made), Object.keys(built))
      assert.deepEqual(made._capnp, built._capnp)
      assert.deepEqual(Object.keys(made._capnp), Object.keys(built._capnp))
      assert.equal(made.byteOffset, built.byteOffset)
      if (i === 1) assert.equal(la - a._capnp.traversalLimit, lb - b._capnp.traversalLimit)
    }
    assert.throws(() => makeStruct(Point, a.getSegment(0), 0, 0), /depth/i) // the constructor's own error
  })
})
