// The View capability over this node's routing table.
import { logger } from '../log.js'
import type { RoutingTable } from '../cluster/index.js'
import { SubscriptionClient, View_Watch$Params$Caps, View_Watch$Results$Caps, ViewClient } from '../schema/cluster.rpc.js'
import { LimitExceeded } from '../errors.js'
import { capsLimits } from './limits.js'
import { writeHostRecord } from './host-record.js'

const log = logger('ww:host:view')

export function serveView (table: RoutingTable): ViewClient {
  return ViewClient.serve({
    ls (params, results) {
      const where = params.where
      if (where.length > capsLimits.lsWhereMax) throw new LimitExceeded(`ls has ${where.length} where terms (limit ${capsLimits.lsWhereMax})`)
      const hosts = table.ls([...where])
      const list = results._initHosts(hosts.length)
      hosts.forEach((h, i) => writeHostRecord(list.get(i), h))
    },
    lookup (params, results) {
      const rec = table.lookup(params.peer)
      results.found = rec !== undefined
      if (rec !== undefined) writeHostRecord(results._initRecord(), rec)
    },
    watch (params, results) {
      const watcher = View_Watch$Params$Caps.watcher.get(params).dup()
      let chain = Promise.resolve()
      let stopped = false
      const stop = (): void => {
        if (stopped) return
        stopped = true
        unwatch()
        watcher.release()
      }
      const unwatch = table.watch(ev => {
        if (ev.type === 'update') return
        chain = chain.then(async () => {
          if (stopped) return
          await watcher.event(p => {
            const e = p._initEvent()
            writeHostRecord(ev.type === 'join' ? e._initJoin() : e._initLeave(), ev.record)
          })
        }).catch(err => {
          log('watcher gone: %s', err.message)
          stop()
        })
      })
      const sub = SubscriptionClient.serve({
        cancel () { stop() },
        [Symbol.dispose] () { stop() }
      })
      View_Watch$Results$Caps.subscription.set(results, sub)
      sub.release()
    }
  })
}
