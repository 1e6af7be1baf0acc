// The rates: one row per live host (messages in and out, calls and errors per second), and the selected host's
// calls by method, the busiest first. Redrawn after each round of asking.
import { el, shortPeer } from './dom.js'
import type { Hosts } from './hosts.js'
import { uiLimits } from './limits.js'
import type { HostRates, Rates } from './rates.js'

/** A rate per second: "—" when the host did not answer, "…" until it has answered twice. */
export function rateText (r: HostRates, n: number | undefined): string {
  if (r.failed !== undefined) return '—'
  if (n === undefined) return '…'
  return n < 10 ? n.toFixed(1) : String(Math.round(n))
}

export class RatesView {
  constructor (private readonly rates: Rates, private readonly hosts: Hosts, private readonly picker: HTMLSelectElement,
    private readonly body: HTMLElement, private readonly methods: HTMLElement) {}

  render (): void {
    const rows = this.hosts.live().map(h => this.rates.byHost.get(h.peer)).filter(r => r !== undefined)
    this.body.replaceChildren(...rows.map(r => this.hostRow(r)))
    const chosen = this.rates.byHost.get(this.picker.value)
    const top = chosen?.methods.slice(0, uiLimits.topMethods) ?? []
    const why = chosen === undefined ? 'not asked yet' : chosen.failed !== undefined ? `no rates: ${chosen.failed}` : chosen.intervalMs === undefined ? 'waiting for a second reading' : 'no calls in the last interval'
    this.methods.replaceChildren(...(top.length === 0
      ? [el('tr', { class: 'empty' }, el('td', { colspan: '3', class: 'small' }, why))]
      : top.map(m => el('tr', { 'data-method': m.method },
        el('td', { class: 'mono' }, m.method),
        el('td', { class: 'num c-calls' }, rateText(chosen!, m.calls)),
        el('td', { class: 'num c-errors' }, rateText(chosen!, m.errors))))))
  }

  private hostRow (r: HostRates): HTMLElement {
    const h = this.hosts.byPeer.get(r.peer)
    return el('tr', { 'data-peer': r.peer, class: r.failed !== undefined ? 'failed' : r.intervalMs === undefined ? 'first' : 'measured', title: r.failed ?? '' },
      el('td', { class: 'mono', title: r.peer }, `${h?.hostname ?? ''} ${shortPeer(r.peer)}`),
      el('td', { class: 'num c-in' }, rateText(r, r.msgsIn)),
      el('td', { class: 'num c-out' }, rateText(r, r.msgsOut)),
      el('td', { class: 'num c-calls' }, rateText(r, r.calls)),
      el('td', { class: 'num c-errors' }, rateText(r, r.errors)),
      el('td', { class: 'small c-interval' }, r.intervalMs === undefined ? '' : `${(r.intervalMs / 1000).toFixed(1)} s`))
  }
}
