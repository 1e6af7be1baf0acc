// Names shared by the load pipeline, the runtime and the guest SDK (guest/c/ww.h, guest/as/ww.ts).

/** Names the load pipeline's output (transform.ts) in cache file names; bump it whenever the pipeline changes. */
export const PIPELINE_VERSION = 'v6'

/** Import module of the guest-facing host calls. */
export const WW_MODULE = 'ww'
/** Import module of the hooks the load pipeline inserts (never called by guest code directly). */
export const RUNTIME_MODULE = 'ww_runtime'
export const WASI_MODULE = 'wasi_snapshot_preview1'

/** The guest's memory, exported by the pipeline when the module does not export it (a module without one gets one). */
export const MEMORY_EXPORT = 'ww_memory'
/** Exported mutable i64 global the fuel hook decrements. */
export const FUEL_GLOBAL_EXPORT = 'ww_fuel'
/** The guest's C stack pointer, exported by the pipeline when the module has one (wasm-ld names it). */
export const STACK_POINTER_EXPORT = 'ww_stack_pointer'
/** Optional guest export: () -> pointer to an asyncify scratch area of ASYNCIFY_SDK_BYTES. */
export const SDK_ASYNCIFY_BUFFER_EXPORT = 'ww_asyncify_buffer'
export const SDK_ASYNCIFY_SIZE_EXPORT = 'ww_asyncify_size'

/** Host calls that may suspend the guest (everything that can wait on a channel, the network or a child). */
export const ASYNC_WW_CALLS = [
  'walk', 'ls', 'load', 'load_bytes', 'store', 'store_bytes', 'send', 'recv', 'spawn', 'wait', 'yield',
  // the cluster from a guest (ww-cluster-calls.ts)
  'recv_timeout', 'select', 'request', 'spawn_with', 'publish',
  // named endpoints (ww-cluster-calls.ts)
  'endpoint_publish', 'endpoint_count', 'endpoint_send',
  // supervised proc trees (ww-host-procs.ts)
  'wait_timeout'
]
export const ASYNC_WASI_CALLS = ['fd_write', 'fd_read', 'sched_yield', 'poll_oneoff']
export const ASYNC_RUNTIME_CALLS = ['out_of_fuel']

export function asyncImportList (): string[] {
  return [
    ...ASYNC_WW_CALLS.map(n => `${WW_MODULE}.${n}`),
    ...ASYNC_WASI_CALLS.map(n => `${WASI_MODULE}.${n}`),
    ...ASYNC_RUNTIME_CALLS.map(n => `${RUNTIME_MODULE}.${n}`)
  ]
}

/**
 * Return codes of `ww` host calls: >= 0 is success (a handle, a length, a code), < 0 one of these.
 * `ww_last_error` gives the message of the last failure.
 */
export const WwErrno = {
  NOT_FOUND: -1,
  CLOSED: -2,
  INVALID: -3,
  FAULT: -4,
  BAD_HANDLE: -5,
  LIMIT: -6,
  OCCUPIED: -7,
  TIMEOUT: -8,
  DISCONNECTED: -9,
  CANCELED: -10,
  MODULE_NOT_FOUND: -11,
  UNIMPLEMENTED: -12,
  /** A host that is listed but cannot be reached (dial failed), or a resource that cannot be had now. */
  UNAVAILABLE: -13,
  PERMISSION_DENIED: -14,
  /** Something is already there (not an anchor value: that is OCCUPIED). */
  ALREADY_EXISTS: -15,
  OTHER: -99
} as const
