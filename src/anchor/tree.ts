// The refcounted anchor tree.
//
// An AnchorRef is a counted reference to one anchor (the core of an Anchor capability: the
// server holds one and releases it when the capability is released). walk() creates missing
// anchors and returns a new reference; lookup() reaches only anchors that exist. An anchor is removed as soon as no reference refers to
// it, it has no children and it holds no value; removing it may leave its parent in the same
// state, so removal cascades up. The root is never removed.
//
// Values are opaque to the tree but have a kind. A capability value may carry a release hook,
// which the tree calls exactly once, when the value is replaced, cleared, or the tree is
// dropped (never on load: a loader that keeps the capability must take its own reference).

import { logger } from '../log.js'
import { Closed, InvalidArgument, LimitExceeded, NotFound, Occupied } from '../errors.js'
import { DEFAULT_ANCHOR_LIMITS, type AnchorLimits } from './limits.js'
import { formatPath, parsePath } from './path.js'

const log = logger('ww:anchor')

export type CapKind = 'chan' | 'sender' | 'recver' | 'closer' | 'proc' | 'anchor' | 'cap'
export type ValueKind = 'bytes' | CapKind
export const CAP_KINDS: readonly CapKind[] = ['chan', 'sender', 'recver', 'closer', 'proc', 'anchor', 'cap']

export interface BytesValue {
  readonly kind: 'bytes'
  /** Owned by the tree once stored; treat what load() returns as read-only. */
  readonly bytes: Uint8Array
}

export interface CapValue<C> {
  readonly kind: CapKind
  readonly cap: C
  /** Called once when the tree lets go of the value. */
  readonly release?: () => void
}

export type AnchorValue<C = unknown> = BytesValue | CapValue<C>

export interface ChildInfo {
  name: string
  /** What the child holds. */
  kind: ValueKind | 'empty'
  /** How many children it has. */
  children: number
}

export interface StoreOptions {
  /** Replace a value already held; without it, storing on an occupied anchor fails with Occupied. */
  overwrite?: boolean
}

class AnchorNode<C> {
  readonly children = new Map<string, AnchorNode<C>>()
  value: AnchorValue<C> | undefined = undefined
  refs = 0

  constructor (readonly name: string, readonly parent: AnchorNode<C> | undefined, readonly depth: number) {}

  get orphan (): boolean {
    return this.parent !== undefined && this.refs === 0 && this.children.size === 0 && this.value === undefined
  }

  /** The path from the tree's root, under `mount` ("/" when the tree is not mounted anywhere). */
  path (mount = ''): string {
    const parts: string[] = []
    for (let n: AnchorNode<C> | undefined = this; n?.parent !== undefined; n = n.parent) parts.push(n.name)
    if (parts.length === 0) return mount === '' ? '/' : mount
    return mount + formatPath(parts.reverse())
  }
}

export class AnchorTree<C = unknown> {
  readonly limits: Readonly<AnchorLimits>
  private readonly rootNode: AnchorNode<C>
  private nodes = 1
  private dropped = false
  /** @internal Bytes of the bytes values stored in the tree. */
  storedBytes = 0

  /** Where the tree sits in a larger namespace ("/<peer>" for a host's tree in the cluster), for the paths it reports. */
  readonly mount: string

  constructor (opts: { limits?: Partial<AnchorLimits>, mount?: string } = {}) {
    this.limits = { ...DEFAULT_ANCHOR_LIMITS, ...opts.limits }
    this.mount = opts.mount === undefined || opts.mount === '/' ? '' : formatPath(parsePath(opts.mount, this.limits))
    this.rootNode = new AnchorNode<C>('', undefined, 0)
  }

  /** A new reference to the root. */
  root (): AnchorRef<C> {
    this.checkLive()
    return new AnchorRef(this, this.rootNode)
  }

  /** How many anchors exist, the root included. */
  get size (): number { return this.nodes }

  /** Bytes of the bytes values the tree holds (counted against maxStoredBytes). */
  get bytesStored (): number { return this.storedBytes }

  get isDropped (): boolean { return this.dropped }

  /** Releases every value in the tree; every later operation on its references fails with Closed. */
  drop (): void {
    if (this.dropped) return
    this.dropped = true
    const stack = [this.rootNode]
    for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
      const value = n.value
      n.value = undefined
      if (value !== undefined) releaseValue(value)
      stack.push(...n.children.values())
      n.children.clear()
    }
    this.nodes = 1
    this.storedBytes = 0
  }

  /** @internal */
  checkLive (): void {
    if (this.dropped) throw new Closed('anchor tree is dropped')
  }

  /** @internal Walks down from `from`, creating missing anchors. */
  descend (from: AnchorNode<C>, parts: readonly string[]): AnchorNode<C> {
    if (from.depth + parts.length > this.limits.maxDepth) {
      throw new LimitExceeded(`walking ${formatPath(parts)} from ${from.path(this.mount)} goes deeper than maxDepth ${this.limits.maxDepth}`)
    }
    let cur = from
    for (const name of parts) {
      let child = cur.children.get(name)
      if (child === undefined) {
        if (cur.children.size >= this.limits.maxChildren) {
          this.prune(cur) // undo the anchors this walk created
          throw new LimitExceeded(`anchor ${cur.path(this.mount)} already has maxChildren ${this.limits.maxChildren} children`)
        }
        child = new AnchorNode<C>(name, cur, cur.depth + 1)
        cur.children.set(name, child)
        this.nodes++
      }
      cur = child
    }
    return cur
  }

  /** @internal Walks down from `from` through existing anchors only; NotFound names the first missing one. */
  find (from: AnchorNode<C>, parts: readonly string[]): AnchorNode<C> {
    let cur = from
    for (const name of parts) {
      const child = cur.children.get(name)
      if (child === undefined) {
        const above = cur.path(this.mount)
        throw new NotFound(`no anchor ${above === '/' ? '' : above}/${name}`)
      }
      cur = child
    }
    return cur
  }

  /** @internal Removes `node` and then each ancestor while it is an orphan. */
  prune (node: AnchorNode<C>): void {
    let n: AnchorNode<C> | undefined = node
    while (n?.orphan === true) {
      const parent: AnchorNode<C> = n.parent as AnchorNode<C>
      parent.children.delete(n.name)
      this.nodes--
      log.trace('removed %s', n.path(this.mount))
      n = parent
    }
  }
}

/** A counted reference to one anchor. Release it exactly when its holder lets go. */
export class AnchorRef<C = unknown> {
  private live = true

  /** @internal */
  constructor (private readonly tree: AnchorTree<C>, private readonly node: AnchorNode<C>) {
    node.refs++
  }

  /** This anchor's path: from the tree's root under its mount ("/<peer>/a/b"), "/" for an unmounted root. */
  get path (): string { return this.node.path(this.tree.mount) }

  get released (): boolean { return !this.live }

  /** The same object for every reference to this anchor, and for no other anchor (a map key). */
  get key (): object { return this.node }

  /** A new reference to the anchor at `path` below this one, creating missing anchors. */
  walk (path: string): AnchorRef<C> {
    this.check()
    const parts = parsePath(path, this.tree.limits)
    return new AnchorRef(this.tree, this.tree.descend(this.node, parts))
  }

  /** A new reference to the existing anchor at `path` below this one; creates nothing (NotFound instead). */
  lookup (path: string): AnchorRef<C> {
    this.check()
    const parts = parsePath(path, this.tree.limits)
    return new AnchorRef(this.tree, this.tree.find(this.node, parts))
  }

  /** Another reference to the same anchor. */
  dup (): AnchorRef<C> {
    this.check()
    return new AnchorRef(this.tree, this.node)
  }

  /** Children in name order, with what each holds and how many children each has. */
  ls (): ChildInfo[] {
    this.check()
    return [...this.node.children.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(n => ({ name: n.name, kind: n.value?.kind ?? 'empty', children: n.children.size }))
  }

  /** The value held, or undefined when empty. */
  load (): AnchorValue<C> | undefined {
    this.check()
    return this.node.value
  }

  /**
   * Stores a value (undefined clears the anchor, whatever `overwrite` says). On success the tree
   * owns the value and releases the one it replaces; on failure the caller still owns it.
   */
  store (value: AnchorValue<C> | undefined, opts: StoreOptions = {}): void {
    this.check()
    if (value !== undefined) this.validate(value)
    const old = this.node.value
    if (value !== undefined && old !== undefined && opts.overwrite !== true) {
      throw new Occupied(`anchor ${this.node.path(this.tree.mount)} already holds a ${old.kind} value`)
    }
    const grows = bytesOf(value) - bytesOf(old)
    if (grows > 0 && this.tree.storedBytes + grows > this.tree.limits.maxStoredBytes) {
      throw new LimitExceeded(`the anchors of this host would hold ${this.tree.storedBytes + grows} bytes of values (maxStoredBytes ${this.tree.limits.maxStoredBytes})`)
    }
    this.tree.storedBytes += grows
    this.node.value = value?.kind === 'bytes' ? { kind: 'bytes', bytes: value.bytes.slice() } : value
    if (old !== undefined && old !== value) releaseValue(old)
    // A cleared anchor with no holder and no children goes away (this ref still holds it, but
    // the check is cheap and keeps the rule in one place).
    this.tree.prune(this.node)
  }

  /** Clears the value held; NotFound when there is none (what `rm` of nothing is). */
  clear (): void {
    this.check()
    if (this.node.value === undefined) throw new NotFound(`anchor ${this.node.path(this.tree.mount)} holds no value`)
    this.store(undefined)
  }

  /** Drops this reference; the anchor may go away. Releasing twice is a no-op. */
  release (): void {
    if (!this.live) return
    this.live = false
    this.node.refs--
    if (!this.tree.isDropped) this.tree.prune(this.node)
  }

  [Symbol.dispose] (): void { this.release() }

  private check (): void {
    if (!this.live) throw new Closed('anchor reference is released')
    this.tree.checkLive()
  }

  private validate (value: AnchorValue<C>): void {
    if (value.kind === 'bytes') {
      if (!(value.bytes instanceof Uint8Array)) throw new InvalidArgument('a bytes value needs a Uint8Array')
      if (value.bytes.byteLength > this.tree.limits.maxValueBytes) {
        throw new LimitExceeded(`bytes value of ${value.bytes.byteLength} bytes exceeds maxValueBytes ${this.tree.limits.maxValueBytes}`)
      }
      return
    }
    if (!CAP_KINDS.includes(value.kind)) throw new InvalidArgument(`unknown value kind ${JSON.stringify(value.kind)}`)
  }
}

const bytesOf = (value: AnchorValue<any> | undefined): number => value?.kind === 'bytes' ? value.bytes.byteLength : 0

function releaseValue (value: AnchorValue<any>): void {
  if (value.kind === 'bytes' || value.release === undefined) return
  try {
    value.release()
  } catch (err) {
    log.error('release hook failed: %s', err)
  }
}

