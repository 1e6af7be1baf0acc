// The two agreed Primitives values (the C++ peers have the same in cpp/common.h). Test.exchange
// sends sampleA and answers sampleB, so each direction is checked by value on the receiving side.
import type { Point, Primitives } from './gen/interop.js'

const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n

interface PointValue { x: number, y: number, label: string }

interface Sample {
  b: boolean
  i8: number
  i16: number
  i32: number
  i64: bigint
  u8: number
  u16: number
  u32: number
  u64: bigint
  f32: number
  f64: number
  text: string
  data: Uint8Array
  bools: boolean[]
  i64s: bigint[]
  f64s: number[]
  texts: string[]
  points: PointValue[]
  nested: PointValue
}

export const sampleA: Sample = {
  b: true,
  i8: -128,
  i16: -32768,
  i32: -2147483648,
  i64: I64_MIN,
  u8: 255,
  u16: 65535,
  u32: 4294967295,
  u64: 2n ** 64n - 1n,
  f32: 1.5,
  f64: 3.141592653589793,
  text: 'héllo, wörld ✓',
  data: Uint8Array.from({ length: 256 }, (_, i) => i),
  bools: [true, false, true, true, false, false, false, true, true],
  i64s: [0n, -1n, I64_MAX, I64_MIN],
  f64s: [0, -0.5, 1e300, -Infinity],
  texts: ['', 'a', 'ü'],
  points: [{ x: 1, y: 2, label: 'p1' }, { x: -3, y: -4, label: '' }],
  nested: { x: 7, y: -7, label: 'n' }
}

export const sampleB: Sample = {
  b: false,
  i8: 127,
  i16: 32767,
  i32: 2147483647,
  i64: I64_MAX,
  u8: 1,
  u16: 2,
  u32: 3,
  u64: 9223372036854775813n,
  f32: -0.25,
  f64: 1e-300,
  text: 'second',
  data: new Uint8Array(0),
  bools: [],
  i64s: [42n],
  f64s: [NaN],
  texts: ['x'],
  points: [],
  nested: { x: 0, y: 0, label: '' }
}

function setPoint (p: Point, v: PointValue): void {
  p.x = v.x
  p.y = v.y
  p.label = v.label
}

export function fillSample (p: Primitives, s: Sample): void {
  p.b = s.b
  p.i8 = s.i8
  p.i16 = s.i16
  p.i32 = s.i32
  p.i64 = s.i64
  p.u8 = s.u8
  p.u16 = s.u16
  p.u32 = s.u32
  p.u64 = s.u64
  p.f32 = s.f32
  p.f64 = s.f64
  p.text = s.text
  p._initData(s.data.length).copyBuffer(s.data)
  const bools = p._initBools(s.bools.length)
  s.bools.forEach((v, i) => { bools.set(i, v) })
  const i64s = p._initI64s(s.i64s.length)
  s.i64s.forEach((v, i) => { i64s.set(i, v) })
  const f64s = p._initF64s(s.f64s.length)
  s.f64s.forEach((v, i) => { f64s.set(i, v) })
  const texts = p._initTexts(s.texts.length)
  s.texts.forEach((v, i) => { texts.set(i, v) })
  const points = p._initPoints(s.points.length)
  s.points.forEach((v, i) => { setPoint(points.get(i), v) })
  setPoint(p._initNested(), s.nested)
}

const sameNumber = (a: number, b: number): boolean => Object.is(a, b)
const samePoint = (p: Point, v: PointValue): boolean => p.x === v.x && p.y === v.y && p.label === v.label

function sameList<T, U> (list: { length: number, get: (i: number) => T }, want: U[], eq: (a: T, b: U) => boolean): boolean {
  if (list.length !== want.length) return false
  for (let i = 0; i < want.length; i++) if (!eq(list.get(i), want[i])) return false
  return true
}

/** Names of the fields of `p` that differ from `s`, comma separated ("" when equal). */
export function sampleMismatches (p: Primitives, s: Sample): string {
  const bad: string[] = []
  const check = (ok: boolean, name: string): void => { if (!ok) bad.push(name) }
  check(p.b === s.b, 'b')
  check(p.i8 === s.i8, 'i8')
  check(p.i16 === s.i16, 'i16')
  check(p.i32 === s.i32, 'i32')
  check(p.i64 === s.i64, 'i64')
  check(p.u8 === s.u8, 'u8')
  check(p.u16 === s.u16, 'u16')
  check(p.u32 === s.u32, 'u32')
  check(p.u64 === s.u64, 'u64')
  check(sameNumber(p.f32, s.f32), 'f32')
  check(sameNumber(p.f64, s.f64), 'f64')
  check(p.text === s.text, 'text')
  const data = p._hasData() ? p.data.toUint8Array() : new Uint8Array(0)
  check(Buffer.from(data).equals(Buffer.from(s.data)), 'data')
  check(sameList(p.bools, s.bools, (a, b) => a === b), 'bools')
  check(sameList(p.i64s, s.i64s, (a, b) => a === b), 'i64s')
  check(sameList(p.f64s, s.f64s, sameNumber), 'f64s')
  check(sameList(p.texts, s.texts, (a, b) => a === b), 'texts')
  check(sameList(p.points, s.points, samePoint), 'points')
  check(p._hasNested() && samePoint(p.nested, s.nested), 'nested')
  return bad.join(',')
}
