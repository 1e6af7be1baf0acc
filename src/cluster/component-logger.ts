// The loggers libp2p's components log through. libp2p makes one per connection and per stream (newScope), and
// @libp2p/logger makes each of those as two or three `debug` instances, matching DEBUG's patterns and asking whether
// stderr is a terminal every time: 2-3 % of a node's CPU while a cluster's connections open. Without DEBUG they log
// nothing anyway, so every component gets one silent logger; with DEBUG set, @libp2p/logger's own.
import type { ComponentLogger, Logger } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'

const silent: Logger = Object.assign(() => {}, { enabled: false, error: () => {}, trace: () => {}, newScope: (): Logger => silent })

export function componentLogger (debug: string | undefined = process.env.DEBUG): ComponentLogger {
  if (debug !== undefined && debug.trim() !== '') return defaultLogger()
  return { forComponent: () => silent }
}
