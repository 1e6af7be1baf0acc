// Sets the maximum of a module's own memory by rewriting its memory section (section id 5).
// Cheap (a byte splice), so it runs per spawn on the cached, transformed bytes.

import { InvalidArgument, LimitExceeded } from '../errors.js'
import { WASM_PAGE_BYTES } from './limits.js'

const MEMORY_SECTION = 5
const HEADER_BYTES = 8

export interface Leb { value: number, next: number }

/** An unsigned LEB128 at `at`: its value and the offset after it. */
export function readLeb (b: Uint8Array, at: number): Leb {
  let value = 0
  let shift = 0
  for (let i = at; i < b.length && shift < 35; i++) {
    value += (b[i] & 0x7f) * 2 ** shift
    shift += 7
    if ((b[i] & 0x80) === 0) return { value, next: i + 1 }
  }
  throw new InvalidArgument('malformed LEB128 in module')
}

function writeLeb (value: number): number[] {
  const out: number[] = []
  do {
    let byte = value % 128
    value = Math.floor(value / 128)
    if (value > 0) byte |= 0x80
    out.push(byte)
  } while (value > 0)
  return out
}

/**
 * Returns a copy of `bytes` whose single memory has maximum min(declared max, maxBytes).
 * LimitExceeded when the module's initial memory is already larger than the limit.
 */
export function withMemoryMaximum (bytes: Uint8Array, maxBytes: number): Uint8Array {
  const limitPages = Math.max(0, Math.floor(maxBytes / WASM_PAGE_BYTES))
  let at = HEADER_BYTES
  while (at < bytes.length) {
    const id = bytes[at]
    const size = readLeb(bytes, at + 1)
    const bodyStart = size.next
    const bodyEnd = bodyStart + size.value
    if (id !== MEMORY_SECTION) { at = bodyEnd; continue }
    const count = readLeb(bytes, bodyStart)
    if (count.value === 0) return bytes
    if (count.value > 1) throw new InvalidArgument('module defines more than one memory')
    const flags = bytes[count.next]
    if (flags !== 0 && flags !== 1) throw new InvalidArgument(`unsupported memory flags ${flags}`)
    const min = readLeb(bytes, count.next + 1)
    let declaredMax = Infinity
    let limitsEnd = min.next
    if (flags === 1) { const mx = readLeb(bytes, min.next); declaredMax = mx.value; limitsEnd = mx.next }
    if (limitsEnd !== bodyEnd) throw new InvalidArgument('malformed memory section')
    if (min.value > limitPages) {
      throw new LimitExceeded(`module needs ${min.value * WASM_PAGE_BYTES} bytes of memory at start; the limit is ${maxBytes}`)
    }
    const max = Math.min(declaredMax, limitPages)
    const body = [...writeLeb(1), 1, ...writeLeb(min.value), ...writeLeb(max)]
    const section = [MEMORY_SECTION, ...writeLeb(body.length), ...body]
    const out = new Uint8Array(at + section.length + (bytes.length - bodyEnd))
    out.set(bytes.subarray(0, at), 0)
    out.set(section, at)
    out.set(bytes.subarray(bodyEnd), at + section.length)
    return out
  }
  return bytes
}
