// How steps 4-5 of the load pipeline (transform.ts) optimize, shared by both back ends: binaryen.js
// and a native wasm-opt (transform-native.ts). Kept apart so the main thread can read them without
// loading binaryen.js.

/**
 * Optimize level 1: output as fast as level 2's (bench-proc, proc.cold_start.*) in about half the
 * time; asyncify optimizes what it instruments at this same level.
 */
export const OPTIMIZE = Object.freeze({ level: 1, shrink: 0, alwaysInlineMaxSize: 40 })

/** Before asyncify: inline the hooks (asyncify then sees plain loads and stores, not a call per access). */
export const PRE_ASYNCIFY_PASSES: readonly string[] = Object.freeze(['strip-debug', 'strip-dwarf', 'inlining', 'vacuum', 'remove-unused-module-elements'])
