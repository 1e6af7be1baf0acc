// The procs as a virtualized list with a kill button on each running one, and a filter.
import { byteSize, duration, el, shortPeer } from './dom.js'
import type { ProcRow, Procs } from './procs.js'
import { procChanged } from './procs.js'
import { VirtualList } from './virtual-list.js'

function limitsText (r: ProcRow): string {
  const parts = [`mem ${byteSize(r.memoryBytes)}`]
  if (r.fuel > 0) parts.push(`fuel ${r.fuel}`)
  if (r.timeoutMs > 0) parts.push(`timeout ${duration(r.timeoutMs)}`)
  return parts.join(', ')
}

export class ProcsView {
  readonly list: VirtualList<ProcRow>
  private filter = ''

  constructor (private readonly procs: Procs, private readonly onError: (err: Error) => void) {
    this.list = new VirtualList<ProcRow>(r => r.id, r => this.row(r), procChanged, { id: 'procs-list' })
  }

  setFilter (text: string): void {
    this.filter = text.trim().toLowerCase()
    this.render()
  }

  render (): void {
    const rows = this.procs.rows()
    const shown = this.filter === '' ? rows : rows.filter(r => `${r.id} ${r.name} ${r.state} ${r.args.join(' ')}`.toLowerCase().includes(this.filter))
    this.list.set(shown)
    const running = rows.filter(r => r.running).length
    const count = document.getElementById('proc-count')
    if (count !== null) count.textContent = `${running} running, ${rows.length - running} ended${shown.length !== rows.length ? `; ${shown.length} shown` : ''}`
    const failed = document.getElementById('proc-failed')
    if (failed !== null) failed.textContent = [...this.procs.failed].map(([peer, why]) => `${shortPeer(peer)}: ${why}`).join('; ')
  }

  private row (r: ProcRow): HTMLElement {
    const kill = el('button', { class: 'kill', title: `kill ${r.id}` }, 'kill')
    if (!r.running) kill.setAttribute('disabled', '')
    kill.addEventListener('click', () => {
      kill.setAttribute('disabled', '')
      this.procs.kill(r).catch((err: Error) => { this.onError(err) })
    })
    const uptime = r.running ? r.uptimeMs + (Date.now() - r.readMs) : r.uptimeMs
    return el('div', { class: `proc ${r.running ? 'running' : 'ended'}`, 'data-id': r.id },
      el('span', { class: 'c-host mono', title: r.peer }, shortPeer(r.peer)),
      el('span', { class: 'c-pid mono' }, String(r.pid)),
      el('span', { class: 'c-name', title: [r.name, ...r.args].join(' ') }, [r.name, ...r.args].join(' ')),
      el('span', { class: 'c-state' }, r.state),
      el('span', { class: 'c-limits small' }, limitsText(r)),
      el('span', { class: 'c-uptime' }, duration(uptime)),
      el('span', { class: 'c-kill' }, kill))
  }
}
