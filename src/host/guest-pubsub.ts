// A guest's view of the cluster's pubsub (the topics of ww pub / ww sub): publish, and a
// subscription read as a receive end.
import { Chan } from '../csp/index.js'
import type { PubSub } from '../cluster/index.js'
import type { Message, RecverCap } from '../proc/index.js'

export type GuestPubSub = Pick<PubSub, 'join'>

/**
 * A receive end fed with `topic`'s messages. The subscription buffers up to `buffer` of them
 * (<= 0: the cluster's default) and drops the oldest when the guest falls behind. It ends when the
 * guest drops its last handle to it, or when `closeAll` runs (the proc ended).
 */
export function subscribeInto (pubsub: GuestPubSub, topic: string, buffer: number, subs: Set<() => void>): RecverCap {
  const sub = pubsub.join(topic).subscribe(buffer > 0 ? buffer : undefined)
  const chan = new Chan<Message>(1)
  let handles = 1
  const stop = (): void => {
    subs.delete(stop)
    sub.close()
    chan.close()
  }
  subs.add(stop)
  void (async () => {
    for (let d = await sub.next(); d !== undefined; d = await sub.next()) await chan.send({ data: d.data })
  })().catch(() => {}).finally(stop)
  return {
    kind: 'recver',
    recv: async opts => await chan.recv(opts),
    tryRecv: () => chan.poll(),
    ref: {
      retain: () => { if (handles > 0) handles++ },
      release: () => { if (handles > 0 && --handles === 0) stop() }
    }
  }
}
