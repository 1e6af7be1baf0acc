// Anchor paths: '/'-separated components of printable ASCII (0x21-0x7e). Empty, '.' and '..'
// components are rejected, so a path can only lead down from the anchor it is walked from.
// One leading '/' is allowed and means nothing ("/a/b" and "a/b" are the same walk); "" and "/"
// name the anchor itself. Every error names the offending component.

import { InvalidArgument, LimitExceeded } from '../errors.js'
import { DEFAULT_ANCHOR_LIMITS, type AnchorLimits } from './limits.js'

export type PathLimits = Pick<AnchorLimits, 'maxPathLength' | 'maxComponentLength' | 'maxDepth'>

/** Splits and validates a path; returns its components ([] for the anchor itself). */
export function parsePath (path: string, limits: Partial<PathLimits> = {}): string[] {
  const maxPathLength = limits.maxPathLength ?? DEFAULT_ANCHOR_LIMITS.maxPathLength
  const maxComponentLength = limits.maxComponentLength ?? DEFAULT_ANCHOR_LIMITS.maxComponentLength
  const maxDepth = limits.maxDepth ?? DEFAULT_ANCHOR_LIMITS.maxDepth
  if (typeof path !== 'string') throw new InvalidArgument(`path must be a string, got ${typeof path}`)
  if (path.length > maxPathLength) {
    throw new LimitExceeded(`path of ${path.length} characters exceeds maxPathLength ${maxPathLength}`)
  }
  const body = path.startsWith('/') ? path.slice(1) : path
  if (body === '') return []
  const parts = body.split('/')
  if (parts.length > maxDepth) {
    throw new LimitExceeded(`path ${quote(path)} has ${parts.length} components, more than maxDepth ${maxDepth}`)
  }
  const printable = PRINTABLE.test(body)
  for (let i = 0; i < parts.length; i++) {
    const problem = componentProblem(parts[i], maxComponentLength, printable)
    if (problem !== undefined) throw problem(`path ${quote(path)}: component ${i + 1}`)
  }
  return parts
}

/** Validates one component (a child's name); `where` prefixes the error. */
export function checkComponent (part: string, maxComponentLength: number = DEFAULT_ANCHOR_LIMITS.maxComponentLength, where = 'name'): void {
  const problem = componentProblem(part, maxComponentLength)
  if (problem !== undefined) throw problem(where)
}

const PRINTABLE = /^[\x21-\x7e]*$/

/**
 * What is wrong with a component, as a maker of the error given where it was found (the message
 * is built only on failure); undefined if nothing. `printable`: its characters are known to be.
 */
function componentProblem (part: string, maxComponentLength: number, printable = false): ((where: string) => Error) | undefined {
  if (part === '') return (where) => new InvalidArgument(`${where} is empty (a doubled or trailing '/')`)
  if (part.includes('/')) return (where) => new InvalidArgument(`${where} ${quote(part)} contains '/'`)
  if (part === '.' || part === '..') return (where) => new InvalidArgument(`${where} ${quote(part)} is not allowed: paths only lead down`)
  if (part.length > maxComponentLength) {
    return (where) => new LimitExceeded(`${where} ${quote(part.slice(0, 32))}... is ${part.length} characters, more than maxComponentLength ${maxComponentLength}`)
  }
  if (printable) return undefined
  for (let j = 0; j < part.length; j++) {
    const c = part.charCodeAt(j)
    if (c < 0x21 || c > 0x7e) {
      return (where) => new InvalidArgument(`${where} ${quote(part)}: character ${hex(c)} at offset ${j} is not printable ASCII (0x21-0x7e)`)
    }
  }
  return undefined
}

/** The canonical text of a list of components: "/a/b", or "/" for none. */
export function formatPath (parts: readonly string[]): string {
  return '/' + parts.join('/')
}

function quote (s: string): string {
  return JSON.stringify(s)
}

function hex (c: number): string {
  return '0x' + c.toString(16).padStart(2, '0')
}
