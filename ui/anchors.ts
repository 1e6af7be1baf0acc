// A browsable anchor tree of any host: its children (kind, how many children each has), and what the chosen
// anchor holds: bytes as hex and as text (never as HTML), a channel's fill and capacity, a proc's state. Reached
// from the cluster root with lookup (which creates nothing); listed again every anchorPollMs (no watch for anchors).
import { Kind, Value_Which } from '../src/schema/anchor.js'
import type { HostClient } from '../src/schema/host.rpc.js'
import { ProcState } from '../src/schema/proc.js'
import { $, byteSize, el, shortPeer } from './dom.js'
import { uiLimits } from './limits.js'
import { VirtualList } from './virtual-list.js'

export interface AnchorChild { name: string, kind: string, children: number }

const KIND_NAMES = new Map(Object.entries(Kind).map(([k, v]) => [v as number, k.toLowerCase()]))
const VALUE_NAMES = new Map(Object.entries(Value_Which).map(([k, v]) => [v as number, k.toLowerCase()]))

/** Bytes as hex, 16 a line, with their printable ASCII beside (anything else as '.'). */
export function hexDump (bytes: Uint8Array): string {
  const lines: string[] = []
  for (let o = 0; o < bytes.length; o += 16) {
    const chunk = bytes.subarray(o, o + 16)
    const hex = [...chunk].map(b => b.toString(16).padStart(2, '0')).join(' ')
    const text = [...chunk].map(b => b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.').join('')
    lines.push(`${o.toString(16).padStart(6, '0')}  ${hex.padEnd(47)}  ${text}`)
  }
  return lines.join('\n')
}

/** Bytes as UTF-8 text, control characters (but newline and tab) and invalid sequences shown as U+FFFD. */
export function asText (bytes: Uint8Array): string {
  // eslint-disable-next-line no-control-regex
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd')
}

export class AnchorBrowser {
  peer = ''
  path: string[] = []
  selected?: string
  private readonly list: VirtualList<AnchorChild>
  private timer?: ReturnType<typeof setTimeout>

  constructor (private readonly host: HostClient, private readonly onError: (err: Error) => void) {
    this.list = new VirtualList<AnchorChild>(c => c.name, c => this.row(c), (a, b) => a.kind !== b.kind || a.children !== b.children, { id: 'anchor-list' })
    $('#anchor-children').replaceChildren(this.list.element)
  }

  private full (path: string[] = this.path): string {
    return [this.peer, ...path].join('/')
  }

  /** Shows `peer`'s tree at `path`. */
  open (peer: string, path: string[] = []): void {
    this.peer = peer
    this.path = path
    this.selected = undefined
    $('#anchor-value').replaceChildren()
    this.crumbs()
    this.list.set([])
    void this.refresh()
  }

  private crumbs (): void {
    const parts: Node[] = []
    const go = (n: number, text: string): HTMLElement => {
      const a = el('button', { class: 'crumb' }, text)
      a.addEventListener('click', () => { this.open(this.peer, this.path.slice(0, n)) })
      return a
    }
    parts.push(go(0, `/${shortPeer(this.peer)}`))
    this.path.forEach((p, i) => { parts.push(document.createTextNode('/'), go(i + 1, p)) })
    $('#anchor-path').replaceChildren(...parts)
  }

  async refresh (): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer)
    const peer = this.peer
    const full = this.full()
    try {
      using root = this.host.root()
      using at = root.pipeline.anchor.lookup(p => { p.path = full })
      using ls = at.pipeline.anchor.ls()
      const children = [...(await ls).children].map(c => ({ name: c.name, kind: KIND_NAMES.get(c.kind) ?? 'cap', children: c.children }))
      if (peer !== this.peer || full !== this.full()) return
      this.list.set(children)
      $('#anchor-empty').textContent = children.length === 0 ? 'no children' : ''
    } catch (err) {
      if (peer !== this.peer) return
      this.list.set([])
      $('#anchor-empty').textContent = (err as Error).message
    } finally {
      if (peer === this.peer && full === this.full()) this.timer = setTimeout(() => { void this.refresh() }, uiLimits.anchorPollMs)
    }
    if (this.selected !== undefined) await this.show(this.selected)
  }

  private row (c: AnchorChild): HTMLElement {
    const name = el('button', { class: 'anchor-name', title: c.children > 0 ? 'open' : 'show its value' }, c.name)
    name.addEventListener('click', () => {
      if (c.children > 0 && c.kind === 'empty') this.open(this.peer, [...this.path, c.name])
      else void this.show(c.name)
    })
    const into = el('button', { class: 'into', title: 'open' }, c.children > 0 ? `${c.children} ▸` : '')
    if (c.children > 0) into.addEventListener('click', () => { this.open(this.peer, [...this.path, c.name]) })
    return el('div', { class: 'anchor', 'data-name': c.name }, name, el('span', { class: 'kind' }, c.kind), into)
  }

  /** Shows what the child `name` holds. */
  async show (name: string): Promise<void> {
    this.selected = name
    const full = this.full([...this.path, name])
    const box = $('#anchor-value')
    try {
      using root = this.host.root()
      using at = root.pipeline.anchor.lookup(p => { p.path = full })
      using loaded = at.pipeline.anchor.load()
      const value = (await loaded).value
      const kind = VALUE_NAMES.get(value.which()) ?? 'cap'
      const head = el('div', { class: 'value-head' }, el('span', { class: 'mono' }, `/${full}`), ' holds ', el('b', {}, kind))
      if (value._isBytes) {
        const bytes = value.bytes.toUint8Array()
        const shown = bytes.subarray(0, uiLimits.shownValueBytes)
        const more = bytes.length > shown.length ? ` (first ${shown.length} shown)` : ''
        box.replaceChildren(head, el('div', {}, `${byteSize(bytes.length)}${more}`),
          el('div', { class: 'small' }, 'as text'), el('pre', { class: 'text' }, asText(shown)),
          el('div', { class: 'small' }, 'as hex'), el('pre', { class: 'hex' }, hexDump(shown)))
      } else if (value._isChan) {
        using stat = loaded.pipeline.value.chan.stat()
        const s = (await stat).stat
        const fill = s.capacity === 0 ? 0 : Math.min(1, s.buffered / s.capacity)
        const bar = el('div', { class: 'fill' }, el('div', { class: 'fill-bar' }))
        ;(bar.firstChild as HTMLElement).style.width = `${Math.round(fill * 100)}%`
        box.replaceChildren(head, el('div', { class: 'chan-stat' },
          `${s.buffered} of ${s.capacity} buffered${s.capacity === 0 ? ' (rendezvous)' : ''}; ${s.waitingSenders} senders and ${s.waitingRecvers} receivers waiting${s.closed ? '; closed' : ''}`), bar)
      } else if (value._isProc) {
        using info = loaded.pipeline.value.proc.info()
        const i = (await info).info
        box.replaceChildren(head, el('div', {}, `${i.peer}/${i.pid} ${i.name}: ${i.state === ProcState.RUNNING ? 'running' : 'ended'}`))
      } else {
        box.replaceChildren(head)
      }
    } catch (err) {
      box.replaceChildren(el('div', { class: 'error' }, `/${full}: ${(err as Error).message}`))
      this.onError(err as Error)
    }
  }
}
