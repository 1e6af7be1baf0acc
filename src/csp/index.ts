export { Chan } from './chan.js'
export type { Sender, Recver, Closer, ChanStat, ChanOptions, OpOptions } from './chan.js'
export { DEFAULT_CHAN_LIMITS } from './limits.js'
export type { ChanLimits } from './limits.js'
