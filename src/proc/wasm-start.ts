// Whether a module has a wasm start section: instantiating such a module runs guest code, so it cannot be
// instantiated ahead of the proc that runs it (spares.ts). Recorded per compiled module by the module cache.

const START_SECTION = 8
const HEADER_BYTES = 8

const hasStart = new WeakMap<WebAssembly.Module, boolean>()

/** True when `bytes` (a valid module) has a start section; true also when they cannot be read, to be safe. */
export function hasStartSection (bytes: Uint8Array): boolean {
  let at = HEADER_BYTES
  while (at < bytes.length) {
    const id = bytes[at++]
    let size = 0
    let shift = 0
    for (;;) {
      if (at >= bytes.length || shift > 28) return true
      const b = bytes[at++]
      size += (b & 0x7f) * 2 ** shift
      shift += 7
      if ((b & 0x80) === 0) break
    }
    if (id === START_SECTION) return true
    at += size
  }
  return at !== bytes.length
}

export function noteStartSection (module: WebAssembly.Module, bytes: Uint8Array): void {
  hasStart.set(module, hasStartSection(bytes))
}

/** Whether instantiating `module` runs a start function; undefined when the module cache did not compile it. */
export function runsStartFunction (module: WebAssembly.Module): boolean | undefined {
  return hasStart.get(module)
}
