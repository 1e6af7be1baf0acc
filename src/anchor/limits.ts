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
}

export const DEFAULT_ANCHOR_LIMITS: Readonly<AnchorLimits> = Object.freeze({
  maxPathLength: 4096,
  maxComponentLength: 255,
  maxDepth: 64,
  maxChildren: 4096,
  maxValueBytes: 1 << 20
})
