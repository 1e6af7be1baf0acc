// A Sender that forwards to another until revoked, then fails Closed: what an endpoint hands out, so a sender
// someone got from a lookup stops working when the endpoint ends (its proc ended, or it was unpublished),
// instead of filling a channel nobody reads any more.
import { readMessage, writeMessage } from './chan-message.js'
import { Closed } from '../errors.js'
import { SenderClient } from '../schema/channel.rpc.js'

/** Serves a Sender forwarding to `target` (taken over) until `revoke()`; `what` names it in the Closed error. */
export function revocableSender (target: SenderClient, what: string): { sender: SenderClient, revoke: () => void } {
  let live: SenderClient | undefined = target
  const revoke = (): void => {
    const t = live
    live = undefined
    t?.release()
  }
  const sender = SenderClient.serve({
    async send (params, _results, ctx) {
      if (live === undefined) throw new Closed(`${what} ended`)
      const msg = readMessage(params.msg)
      const to = live.dup()
      try {
        using ans = to.send(p => { writeMessage(p._initMsg(), msg) }, { signal: ctx.signal })
        await ans
      } finally {
        msg.cap?.release()
        to.release()
      }
    },
    [Symbol.dispose]: revoke
  })
  return { sender, revoke }
}
