// Every anchor limit, with its default, in one place.

export interface AnchorLimits {
  /** Longest path string accepted, checked before it is split. */
  maxPathLength: number
  /** Longest component (between two '/'), in characters. */
  maxComponentLength: number
  /** Deepest anchor below a tree's root, in components. */
  maxDepth: number
  /** Most children one anchor may have. */
  maxChildren: number
  /** Largest bytes value one anchor may hold. */
  maxValueBytes: number
  /** Bytes all the bytes values of one tree (a host's) may hold together; a store past it fails with LimitExceeded. */
  maxStoredBytes: number
}

export const DEFAULT_ANCHOR_LIMITS: Readonly<AnchorLimits> = Object.freeze({
  maxPathLength: 4096,
  maxComponentLength: 255,
  maxDepth: 64,
  maxChildren: 4096,
  maxValueBytes: 1 << 20,
  maxStoredBytes: 256 << 20
})

/** Limits of a recursive listing (`ww ls -R`), which a client makes by looking up each anchor with children. */
export interface ListLimits {
  /** Most anchors one listing reports; a larger tree is reported this far, then fails with LimitExceeded. */
  maxListEntries: number
  /** Deepest level listed below the path: a host tree's maxDepth, plus one for the hosts under "/". */
  maxListDepth: number
}

export const DEFAULT_LIST_LIMITS: Readonly<ListLimits> = Object.freeze({
  maxListEntries: 10_000,
  maxListDepth: DEFAULT_ANCHOR_LIMITS.maxDepth + 1
})
