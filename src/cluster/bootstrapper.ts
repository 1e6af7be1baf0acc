// Dials the bootstrap peers until one answers, with backoff, and again whenever the node loses every connection.
// (@libp2p/bootstrap dials once; a bootstrap peer that is busy or not up yet would leave the node alone for good.)
// An address that fails is reported once (and again only after it answered, or after noticeRepeatMs), not at every retry.
import { logger } from '@libp2p/logger'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { BootstrapperComponents } from './components.js'
import { dialFailure } from './dial-failure.js'
import { clusterLimits } from './limits.js'
import { NoticeGate, type NoticeListener } from './notices.js'

const log = logger('ww:cluster:bootstrap')

export class Bootstrapper {
  private timer: ReturnType<typeof setTimeout> | undefined
  private delayMs: number = clusterLimits.bootstrapRetryMinMs
  private dialing = false
  private running = false
  private readonly gate = new NoticeGate(clusterLimits.noticeRepeatMs)
  private readonly failed = new Set<string>()

  constructor (private readonly components: BootstrapperComponents, private readonly addrs: Multiaddr[], private readonly notice: NoticeListener = () => {},
    private readonly privateCluster = false) {}

  start (): void {
    if (this.running || this.addrs.length === 0) return
    this.running = true
    this.components.events.addEventListener('connection:close', this.onClose)
    void this.attempt()
  }

  stop (): void {
    this.running = false
    clearTimeout(this.timer)
    this.timer = undefined
    this.components.events.removeEventListener('connection:close', this.onClose)
  }

  private readonly onClose = (): void => {
    if (this.running && this.components.connectionManager.getConnections().length === 0 && this.timer === undefined && !this.dialing) {
      this.delayMs = clusterLimits.bootstrapRetryMinMs
      this.schedule()
    }
  }

  private async attempt (): Promise<void> {
    if (!this.running) return
    this.dialing = true
    const results = await Promise.allSettled(this.addrs.map(async a => await this.components.connectionManager.dial(a)))
    this.dialing = false
    if (!this.running) return
    results.forEach((r, i) => {
      const addr = this.addrs[i].toString()
      if (r.status === 'fulfilled') {
        if (this.failed.delete(addr)) this.notice({ type: 'bootstrap-reached', addr })
        this.gate.reset(addr)
      }
    })
    if (results.some(r => r.status === 'fulfilled')) {
      this.delayMs = clusterLimits.bootstrapRetryMinMs
      return
    }
    // Someone else may have dialed us meanwhile: then there is no need to insist.
    if (this.components.connectionManager.getConnections().length > 0) return
    const retryMs = this.schedule()
    results.forEach((r, i) => {
      if (r.status !== 'rejected') return
      const addr = this.addrs[i].toString()
      const reason = dialFailure(r.reason, this.privateCluster)
      log('bootstrap dial of %s failed: %s', addr, (r.reason as Error)?.message)
      this.failed.add(addr)
      if (this.gate.pass(addr)) this.notice({ type: 'bootstrap-failed', addr, reason, retryMs })
    })
  }

  /** Schedules the next attempt; returns its delay. */
  private schedule (): number {
    const delay = this.delayMs * (0.75 + Math.random() / 2)
    this.delayMs = Math.min(this.delayMs * 2, clusterLimits.bootstrapRetryMaxMs)
    this.timer = setTimeout(() => { this.timer = undefined; void this.attempt() }, delay)
    return delay
  }
}
