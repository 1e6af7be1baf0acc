// MESSAGE AND CALL RATES PER HOST: the place for them. They come from the node's counters (Host.metrics @10,
// issue 22's library branch), which this branch does not have. To wire them: ask each live host's
// Host.metrics (through this node, as procs.ts asks ps) every few seconds, take the differences of the
// counters over the interval, and draw one row per host into #rates-body (text nodes only, see dom.ts).
import { $ } from './dom.js'
import type { HostClient } from '../src/schema/host.rpc.js'
import type { Hosts } from './hosts.js'

export function startRates (_host: HostClient, _hosts: Hosts): void {
  $('#rates-body').textContent = 'message and call rates per host: not wired yet (they need Host.metrics)'
}
