// The web console: one page, speaking Cap'n Proto to the node that served it (session.ts), showing the cluster's
// hosts (watched), every host's procs (polled, with kill), any host's anchor tree, the deployments and endpoint
// names (polled), and message and call rates per host (from Host.metrics).
import { $ } from './dom.js'
import { AnchorBrowser } from './anchors.js'
import { Hosts } from './hosts.js'
import { renderHosts } from './hosts-view.js'
import { uiLimits } from './limits.js'
import { Procs } from './procs.js'
import { ProcsView } from './procs-view.js'
import { Deployments } from './deployments.js'
import { DeploymentsView } from './deployments-view.js'
import { keepHostPicker } from './host-picker.js'
import { Rates } from './rates.js'
import { RatesView } from './rates-view.js'
import { openSession, tokenFromFragment } from './session.js'

/** One line in the status bar (errors of actions: a refused kill, an unreachable host). */
function status (text: string, kind: 'ok' | 'error' = 'ok'): void {
  const bar = $('#status')
  bar.textContent = text
  bar.className = kind
}

async function main (): Promise<void> {
  const token = tokenFromFragment(location.hash)
  if (token === undefined) {
    status('no token in this URL: open the URL that `ww ui` prints', 'error')
    return
  }
  let session
  try {
    performance.mark('ww:connecting')
    session = await openSession(token)
    performance.mark('ww:connected')
  } catch (err) {
    status((err as Error).message, 'error')
    document.body.dataset.state = 'refused'
    return
  }
  const { host, conn } = session
  let disconnected = false
  void conn.closed.then(() => {
    disconnected = true
    status(`disconnected from the node (${conn.error?.message ?? 'closed'}); reload once it runs again`, 'error')
    document.body.dataset.state = 'disconnected'
  })
  // Once the node is gone every call fails the same way: the status line keeps saying why.
  const onError = (err: Error): void => { if (!disconnected) status(err.message, 'error') }

  const hosts = new Hosts()
  hosts.onChange(() => { renderHosts(hosts) })
  await hosts.start(host)
  performance.mark('ww:hosts')
  $('#self').textContent = hosts.self
  setInterval(() => { hosts.refresh(host).catch(onError) }, uiLimits.hostRefreshMs)
  setInterval(() => { renderHosts(hosts) }, uiLimits.hostRedrawMs)

  const procs = new Procs(host, hosts.self, () => hosts.live().map(h => h.peer))
  const procsView = new ProcsView(procs, onError)
  $('#procs').replaceChildren(procsView.list.element)
  procs.onChange(() => { procsView.render() })
  const filter = $('#proc-filter') as HTMLInputElement
  filter.addEventListener('input', () => { procsView.setFilter(filter.value) })
  procs.start()

  const anchors = new AnchorBrowser(host, onError)
  const picker = $('#anchor-host') as HTMLSelectElement
  keepHostPicker(picker, hosts)
  picker.addEventListener('change', () => { anchors.open(picker.value) })
  anchors.open(hosts.self)

  const deployments = new Deployments(host)
  const deploymentsView = new DeploymentsView(deployments, hosts,
    { body: $('#deployments-body'), count: $('#deploy-count'), names: $('#endpoints-body'), failed: $('#deploy-failed') })
  deployments.onChange(() => { deploymentsView.render() })
  deployments.start()

  const rates = new Rates(host, hosts.self, () => hosts.live().map(h => h.peer))
  const ratesPicker = $('#rates-host') as HTMLSelectElement
  keepHostPicker(ratesPicker, hosts)
  const ratesView = new RatesView(rates, hosts, ratesPicker, $('#rates-body'), $('#rates-methods'))
  rates.onChange(() => { ratesView.render() })
  ratesPicker.addEventListener('change', () => { ratesView.render() })
  rates.start()

  performance.mark('ww:ready')
  document.body.dataset.state = 'ready'
  status('connected')
}

void main().catch((err: Error) => {
  status(err.message, 'error')
  document.body.dataset.state = 'failed'
})
