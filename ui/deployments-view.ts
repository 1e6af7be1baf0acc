// The deployments as a table: one row per deployment (desired, running, restarts, placement), then one per
// replica (where it runs, its pid, state, restarts and last exit; at most shownReplicas, those not running first);
// and the endpoint names with their host counts. Redrawn only when what they show changed.
import { el, shortPeer } from './dom.js'
import type { Deployments, DeploymentRow } from './deployments.js'
import type { Hosts } from './hosts.js'
import { uiLimits } from './limits.js'

export class DeploymentsView {
  private drawn = ''

  constructor (private readonly deployments: Deployments, private readonly hosts: Hosts, private readonly parts: {
    body: HTMLElement, count: HTMLElement, names: HTMLElement, failed: HTMLElement
  }) {}

  render (): void {
    const { deployments: list, names, failed } = this.deployments
    const key = JSON.stringify([list, names, failed, this.hosts.live().length])
    if (key === this.drawn) return
    this.drawn = key
    const p = this.parts
    p.failed.textContent = failed ?? ''
    const running = list.reduce((n, d) => n + d.running, 0)
    const desired = list.reduce((n, d) => n + d.desired, 0)
    p.count.textContent = `${list.length} deployment${list.length === 1 ? '' : 's'}, ${running} of ${desired} replicas running`
    p.body.replaceChildren(...(list.length === 0
      ? [el('tr', { class: 'empty' }, el('td', { colspan: '6', class: 'small' }, 'no deployments: ww deploy NAME MODULE --replicas N'))]
      : list.flatMap(d => [this.deploymentRow(d), ...this.replicaRows(d)])))
    p.names.replaceChildren(...(names.length === 0
      ? [el('tr', { class: 'empty' }, el('td', { colspan: '2', class: 'small' }, 'no endpoint names published'))]
      : names.map(n => el('tr', { 'data-name': n.name }, el('td', { class: 'mono' }, n.name), el('td', { class: 'num c-hosts' }, String(n.hosts))))))
  }

  private deploymentRow (d: DeploymentRow): HTMLElement {
    const health = d.unplaceable ? 'unplaceable' : d.running >= d.desired ? 'met' : 'short'
    return el('tr', { class: `deployment ${health}`, 'data-name': d.name },
      el('td', { class: 'mono' }, d.name),
      el('td', { class: 'num c-desired' }, String(d.desired)),
      el('td', { class: 'num c-running' }, String(d.running)),
      el('td', { class: 'num c-restarts' }, String(d.restarts)),
      el('td', { class: 'small', colspan: '2' }, `${d.placement}${d.unplaceable ? ': unplaceable, no live host matches' : ''}`))
  }

  private replicaRows (d: DeploymentRow): HTMLElement[] {
    const ordered = [...d.replicas].sort((a, b) => Number(a.state === 'running') - Number(b.state === 'running') || a.index - b.index)
    const shown = ordered.slice(0, uiLimits.shownReplicas)
    const more = ordered.length - shown.length
    const allRunning = ordered.slice(shown.length).every(r => r.state === 'running')
    const rest = more === 0
      ? []
      : [el('tr', { class: 'replica more', 'data-name': d.name },
          el('td', { colspan: '6', class: 'small sub' }, `and ${more} more replicas${allRunning ? ', all running' : ''} (ww deployments lists them all)`))]
    return [...shown.map(r => {
      const hostname = this.hosts.byPeer.get(r.host)?.hostname
      return el('tr', { class: `replica ${r.state}`, 'data-name': d.name, 'data-index': String(r.index), 'data-host': r.host },
        el('td', { class: 'mono sub' }, `#${r.index}`),
        el('td', { class: 'mono num', title: r.host, colspan: '2' }, `${hostname ?? ''} ${shortPeer(r.host)}`),
        el('td', { class: 'num c-restarts' }, String(r.restarts)),
        el('td', { class: 'c-state' }, r.pid === 0 ? r.state : `${r.state} (pid ${r.pid})`),
        el('td', { class: 'small c-exit' }, r.lastExit))
    }), ...rest]
  }
}
