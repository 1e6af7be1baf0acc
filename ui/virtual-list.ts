// A list that draws only the rows in view (plus a few around), so 10,000 rows cost what 40 do. Rows have one
// fixed height (uiLimits.rowPx); the caller says how to draw a row from an item, and keys items so a row whose
// item did not change is left alone.
import { el } from './dom.js'
import { uiLimits } from './limits.js'

export class VirtualList<T> {
  readonly element: HTMLElement
  private readonly spacer: HTMLElement
  private items: T[] = []
  /** Drawn rows by item key, with the item they show. */
  private drawn = new Map<string, { row: HTMLElement, item: T, index: number }>()

  constructor (
    private readonly key: (item: T) => string,
    private readonly draw: (item: T) => HTMLElement,
    /** Whether a drawn row must be redrawn for `next` (default: when the item object changed). */
    private readonly changed: (prev: T, next: T) => boolean = (a, b) => a !== b,
    attrs: Record<string, string> = {}
  ) {
    this.spacer = el('div', { class: 'vspacer' })
    this.element = el('div', { class: 'vlist', ...attrs }, this.spacer)
    this.element.addEventListener('scroll', () => { this.render() }, { passive: true })
    new ResizeObserver(() => { this.render() }).observe(this.element)
  }

  get length (): number { return this.items.length }

  set (items: T[]): void {
    this.items = items
    this.spacer.style.height = `${items.length * uiLimits.rowPx}px`
    this.render()
  }

  private render (): void {
    const h = uiLimits.rowPx
    const first = Math.max(0, Math.floor(this.element.scrollTop / h) - uiLimits.overscanRows)
    const last = Math.min(this.items.length, Math.ceil((this.element.scrollTop + this.element.clientHeight) / h) + uiLimits.overscanRows)
    const keep = new Map<string, { row: HTMLElement, item: T, index: number }>()
    for (let i = first; i < last; i++) {
      const item = this.items[i]
      const k = this.key(item)
      let d = this.drawn.get(k)
      if (d !== undefined && this.changed(d.item, item)) { d.row.remove(); d = undefined }
      if (d === undefined) {
        const row = this.draw(item)
        row.classList.add('vrow')
        this.spacer.append(row)
        d = { row, item, index: -1 }
      }
      this.drawn.delete(k)
      if (d.index !== i) { d.row.style.top = `${i * h}px`; d.index = i }
      d.item = item
      keep.set(k, d)
    }
    for (const d of this.drawn.values()) d.row.remove()
    this.drawn = keep
  }
}
