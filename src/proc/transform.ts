// The load pipeline: guest bytes -> bytes ready to instantiate, once per module (cached by hash).
//
//  0. export the memory, adding one to a module without: the runtime needs it for the asyncify scratch area,
//     so every guest can be suspended (preempted) whatever it was built with;
//  1. export the C stack pointer (so the runtime can carve an asyncify area from the stack);
//  2. fuel: log-execution puts a hook at every function entry, return and end, and loop header; the hook becomes
//     `ww_fuel -= 1; if (ww_fuel < 0) ww_runtime.out_of_fuel()`, inlined;
//  3. instrument memory.grow: a failed grow calls ww_runtime.out_of_memory (ends the proc); the
//     pass instruments only grow (not every load and store) and the hooks come after fuel, so they cost none;
//  4. asyncify with the host calls that may suspend (abi.ts);
//     asyncify optimizes what it instruments, at the level of transform-options.ts: no pass after it.
// Steps 1-3 run in binaryen.js; step 4 in a native wasm-opt when there is one (transform-native.ts), else binaryen.js.
// The memory maximum is not set here: it differs per spawn and is patched in afterwards (memory-limit.ts).

import binaryen from 'binaryen'
import { InvalidArgument } from '../errors.js'
import { asyncImportList, FUEL_GLOBAL_EXPORT, MEMORY_EXPORT, RUNTIME_MODULE, STACK_POINTER_EXPORT } from './abi.js'
import { readLeb } from './memory-limit.js'
import { OPTIMIZE, PRE_ASYNCIFY_PASSES } from './transform-options.js'

const FEATURES = binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt |
  binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SIMD128 | binaryen.Features.Multivalue

const FUEL_GLOBAL = 'ww$fuel'

const IDENTITY_ARG: Record<string, number> = {
  load_ptr: 3, store_ptr: 3,
  load_val_i32: 1, load_val_i64: 1, load_val_f32: 1, load_val_f64: 1,
  store_val_i32: 1, store_val_i64: 1, store_val_f32: 1, store_val_f64: 1,
  memory_grow_pre: 1
}

interface ImportedFn { name: string, module: string, base: string, params: number, results: number }

function importedFunctions (m: binaryen.Module): ImportedFn[] {
  const out: ImportedFn[] = []
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(m.getFunctionByIndex(i))
    if (f.module !== null && f.module !== '' && f.base !== null) {
      out.push({ name: f.name, module: f.module, base: f.base, params: f.params, results: f.results })
    }
  }
  return out
}

function exportStackPointer (m: binaryen.Module): void {
  for (let i = 0; i < m.getNumGlobals(); i++) {
    const g = binaryen.getGlobalInfo(m.getGlobalByIndex(i))
    if (g.name === '__stack_pointer' && g.mutable && g.type === binaryen.i32 && (g.module === null || g.module === '')) {
      m.addGlobalExport(g.name, STACK_POINTER_EXPORT)
      return
    }
  }
}

/** Makes sure the module has a memory the runtime can reach: its own, exported, or a new one page in size. */
function exportMemory (m: binaryen.Module): void {
  if (!m.hasMemory()) {
    m.setMemory(1, 1, MEMORY_EXPORT)
    return
  }
  for (let i = 0; i < m.getNumExports(); i++) {
    if (binaryen.getExportInfo(m.getExportByIndex(i)).kind === binaryen.ExternalMemory) return
  }
  m.addMemoryExport('0', MEMORY_EXPORT) // binaryen names the memory of a binary without a name section "0"
}

const CUSTOM_SECTION = 0
const MODULE_HEADER_BYTES = 8

/** The module without its "name" custom section (debug names; the pipeline strips them anyway). */
function withoutNames (bytes: Uint8Array): Uint8Array {
  for (let at = MODULE_HEADER_BYTES; at < bytes.length;) {
    const size = readLeb(bytes, at + 1)
    const end = size.next + size.value
    if (bytes[at] === CUSTOM_SECTION) {
      const len = readLeb(bytes, size.next)
      if (new TextDecoder().decode(bytes.subarray(len.next, len.next + len.value)) === 'name') {
        const out = new Uint8Array(bytes.length - (end - at))
        out.set(bytes.subarray(0, at))
        out.set(bytes.subarray(end), at)
        return out
      }
    }
    at = end
  }
  return bytes
}

/** Replaces the memory instrumentation imports: identity for loads/stores, an OOM check after grow. */
function instrumentGrow (m: binaryen.Module): void {
  const before = new Set(importedFunctions(m).map(f => f.name))
  binaryen.setPassArgument('instrument-memory', 'memory.grow') // only grow: no hook around every load and store
  m.runPasses(['instrument-memory'])
  binaryen.setPassArgument('instrument-memory', null)
  let oomImported = false
  for (const f of importedFunctions(m)) {
    if (before.has(f.name)) continue
    const params = binaryen.expandType(f.params)
    m.removeFunction(f.name)
    if (f.base === 'memory_grow_post') {
      if (!oomImported) {
        m.addFunctionImport('ww$out_of_memory', RUNTIME_MODULE, 'out_of_memory', binaryen.none, binaryen.none)
        oomImported = true
      }
      const result = m.local.get(1, binaryen.i32)
      const body = m.block(null, [
        m.if(m.i32.eq(m.local.get(1, binaryen.i32), m.i32.const(-1)), m.call('ww$out_of_memory', [], binaryen.none)),
        m.return(result)
      ], binaryen.i32)
      m.addFunction(f.name, f.params, f.results, [], body)
    } else {
      const arg = IDENTITY_ARG[f.base]
      if (arg === undefined) throw new InvalidArgument(`unexpected memory instrumentation hook ${f.base}`)
      m.addFunction(f.name, f.params, f.results, [], m.local.get(arg, params[arg]))
    }
  }
}

function instrumentFuel (m: binaryen.Module): void {
  // binaryen.js 132 takes one BigInt here (its .d.ts still says two numbers)
  const i64 = (v: bigint): number => (m.i64.const as unknown as (v: bigint) => number)(v)
  const before = new Set(importedFunctions(m).map(f => f.name))
  m.runPasses(['log-execution'])
  const hook = importedFunctions(m).find(f => !before.has(f.name) && f.base === 'log_execution')
  m.addGlobal(FUEL_GLOBAL, binaryen.i64, true, i64(0n))
  m.addGlobalExport(FUEL_GLOBAL, FUEL_GLOBAL_EXPORT)
  m.addFunctionImport('ww$out_of_fuel', RUNTIME_MODULE, 'out_of_fuel', binaryen.none, binaryen.none)
  if (hook === undefined) return // no functions, no loops
  m.removeFunction(hook.name)
  const body = m.block(null, [
    m.global.set(FUEL_GLOBAL, m.i64.sub(m.global.get(FUEL_GLOBAL, binaryen.i64), i64(1n))),
    m.if(m.i64.lt_s(m.global.get(FUEL_GLOBAL, binaryen.i64), i64(0n)), m.call('ww$out_of_fuel', [], binaryen.none))
  ], binaryen.none)
  m.addFunction(hook.name, hook.params, hook.results, [], body)
}

function hasImportedMemory (bytes: Uint8Array): boolean {
  const mod = new WebAssembly.Module(bytes as BufferSource)
  return WebAssembly.Module.imports(mod).some(i => i.kind === 'memory')
}

/** Steps 1-3 on a fresh binaryen module read from `input`; throws InvalidArgument for bytes that are not a usable module. */
function readInstrumented (input: Uint8Array): binaryen.Module {
  if (!WebAssembly.validate(input as BufferSource)) throw new InvalidArgument('not a valid WebAssembly module')
  if (hasImportedMemory(input)) throw new InvalidArgument('module imports its memory; a guest must define its own')
  const m = binaryen.readBinary(withoutNames(input))
  try {
    m.setFeatures(FEATURES)
    exportMemory(m)
    exportStackPointer(m)
    instrumentFuel(m) // before the grow hooks exist: fuel is spent by the guest's own calls and loops, nothing else
    instrumentGrow(m)
    return m
  } catch (err) {
    m.dispose()
    throw err
  }
}

/** A failure of binaryen on these bytes, as the InvalidArgument the pipeline throws. */
function asInvalid (err: unknown): InvalidArgument {
  return err instanceof InvalidArgument ? err : new InvalidArgument(`cannot transform module: ${(err as Error).message}`)
}

/** Runs the whole pipeline in binaryen.js; throws InvalidArgument for bytes that are not a usable module. */
export function transformModule (input: Uint8Array): Uint8Array {
  let m: binaryen.Module | undefined
  try {
    m = readInstrumented(input)
    binaryen.setOptimizeLevel(OPTIMIZE.level)
    binaryen.setShrinkLevel(OPTIMIZE.shrink)
    binaryen.setAlwaysInlineMaxSize(OPTIMIZE.alwaysInlineMaxSize)
    m.runPasses([...PRE_ASYNCIFY_PASSES])
    binaryen.setPassArgument('asyncify-imports', asyncImportList().join(','))
    m.runPasses(['asyncify'])
    const out = m.emitBinary()
    if (!WebAssembly.validate(out as BufferSource)) throw new InvalidArgument('the transformed module does not validate')
    return out
  } catch (err) {
    throw asInvalid(err)
  } finally {
    m?.dispose()
  }
}

/** Steps 1-3 only, as bytes: a native wasm-opt runs step 4 on them (transform-native.ts). */
export function instrumentModule (input: Uint8Array): Uint8Array {
  let m: binaryen.Module | undefined
  try {
    m = readInstrumented(input)
    return m.emitBinary()
  } catch (err) {
    throw asInvalid(err)
  } finally {
    m?.dispose()
  }
}
