// How step 4 of the load pipeline (transform.ts) optimizes, shared by both back ends: binaryen.js
// and a native wasm-opt (transform-native.ts). Kept apart so the main thread can read them without
// loading binaryen.js.

/**
 * The level asyncify optimizes what it instruments at (it flattens every function it touches, which
 * must be optimized back). Level 1 gives code that differs from level 2's in a few local.sets, and a
 * full -O1 or -O2 after asyncify changed nothing but merging its two identical stop_* exports (hello.c,
 * ping.c, echo.c, loop.c), so none is run: it was a third of wasm-opt's time.
 */
export const OPTIMIZE = Object.freeze({ level: 1, shrink: 0, alwaysInlineMaxSize: 40 })

/** Before asyncify: inline the hooks (asyncify then sees plain loads and stores, not a call per access). */
export const PRE_ASYNCIFY_PASSES: readonly string[] = Object.freeze(['strip-debug', 'strip-dwarf', 'inlining', 'vacuum', 'remove-unused-module-elements'])
