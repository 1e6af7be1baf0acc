// The hosts as a picture and a table. The picture: this node in the middle, every host it knows around it, a line
// for each (this node reaches every host it lists: their Host capabilities come through it); a gone host greyed,
// dashed, labelled "gone". Its meta and addresses are in the table and in each circle's tooltip.
import { $, el, shortPeer, svg, duration } from './dom.js'
import type { HostEntry, Hosts } from './hosts.js'

const SIZE = 360
const CENTER = SIZE / 2
const RADIUS = 140

function label (h: HostEntry): string {
  return h.hostname !== '' ? `${h.hostname} ${shortPeer(h.peer)}` : shortPeer(h.peer)
}

function tooltip (h: HostEntry): string {
  return [h.peer, h.hostname, ...h.meta, ...h.addrs].filter(s => s !== '').join('\n')
}

export function drawGraph (hosts: HostEntry[]): SVGElement {
  const picture = svg('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, class: 'graph', role: 'img', 'aria-label': 'hosts of the cluster' })
  const self = hosts.find(h => h.self)
  const others = hosts.filter(h => !h.self)
  const r = others.length > 40 ? 4 : others.length > 12 ? 7 : 11
  const at = new Map<string, [number, number]>()
  others.forEach((h, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, others.length) - Math.PI / 2
    at.set(h.peer, [CENTER + RADIUS * Math.cos(a), CENTER + RADIUS * Math.sin(a)])
  })
  for (const h of others) {
    const [x, y] = at.get(h.peer)!
    picture.append(svg('line', { x1: CENTER, y1: CENTER, x2: x, y2: y, class: h.goneMs === undefined ? 'link' : 'link gone' }))
  }
  const node = (h: HostEntry, x: number, y: number, radius: number): SVGElement => {
    const g = svg('g', { class: `host${h.self ? ' self' : ''}${h.goneMs === undefined ? '' : ' gone'}`, 'data-peer': h.peer },
      svg('title', {}, tooltip(h)),
      svg('circle', { cx: x, cy: y, r: radius }))
    if (others.length <= 40 || h.self) {
      g.append(svg('text', { x, y: y + radius + 12, 'text-anchor': 'middle' }, label(h) + (h.goneMs === undefined ? '' : ' (gone)')))
    }
    return g
  }
  for (const h of others) { const [x, y] = at.get(h.peer)!; picture.append(node(h, x, y, r)) }
  if (self !== undefined) picture.append(node(self, CENTER, CENTER, 16))
  return picture
}

function row (h: HostEntry, now: number): HTMLElement {
  const state = h.goneMs !== undefined ? `gone ${duration(now - h.goneMs)} ago` : h.self ? 'this node' : `live, seen ${duration(Math.max(0, now - h.lastSeenMs))} ago`
  return el('tr', { class: h.goneMs === undefined ? 'live' : 'gone', 'data-peer': h.peer },
    el('td', { class: 'mono', title: h.peer }, shortPeer(h.peer)),
    el('td', {}, h.hostname),
    el('td', { class: 'state' }, state),
    el('td', {}, h.meta.join(' ')),
    el('td', { class: 'mono small' }, h.addrs.join(' ')))
}

export function renderHosts (hosts: Hosts): void {
  const all = hosts.sorted()
  const now = Date.now()
  $('#host-count').textContent = `${hosts.live().length} live${all.length > hosts.live().length ? `, ${all.length - hosts.live().length} gone` : ''}`
  $('#graph').replaceChildren(drawGraph(all))
  $('#hosts-body').replaceChildren(...all.map(h => row(h, now)))
}
