// The channel capabilities: Chan, Sender, Recver, Closer servers wrapping one Chan<ChanMessage>.
//
// Cancellation: a canceled call (Finish before Return, or the caller's connection dropping)
// aborts ctx.signal, which withdraws a waiting send or recv (see chan.ts for why nothing is lost
// or duplicated). A recv that got its message but whose caller canceled before the server
// returned gives the message back (Chan.putBack), at the front. What remains is the edge no
// protocol without acknowledgements closes: a Return already on the wire when the link drops
// loses that one message (at most once). README.md spells this out.
//
// Lifetime: every facet (the Chan and each Sender/Recver/Closer it hands out) counts as one
// holder of the channel; when the last facet's last reference is released the channel is
// dropped and the capabilities riding in buffered messages are released.

import { Canceled, LimitExceeded } from '../errors.js'
import {
  ChanClient, CloserClient, RecverClient, SenderClient,
  Chan_Closer$Results$Caps, Chan_Recver$Results$Caps, Chan_Sender$Results$Caps,
  type ChanServer, type CloserServer, type RecverServer, type SenderServer
} from '../schema/channel.rpc.js'
import { Chan, type ChanOptions } from './chan.js'
import { DEFAULT_CHAN_LIMITS, type ChanLimits } from './limits.js'
import { messageBytes, readMessage, releaseMessage, writeMessage, type ChanMessage } from './wire.js'

type Handlers = SenderServer & RecverServer & CloserServer & Pick<ChanServer, 'stat'>

/** Writes a received message into recv's results (which take their own reference). */
function deliver (results: Parameters<RecverServer['recv']>[1], msg: ChanMessage): void {
  try {
    writeMessage(results._initMsg(), msg)
  } finally {
    releaseMessage(msg)
  }
}

/** Serves a new channel of the given capacity; the returned Chan capability is yours to release. */
export function serveChan (capacity = 0, opts: Pick<ChanOptions<ChanMessage>, 'limits'> = {}): ChanClient {
  return serveChanOf(new Chan<ChanMessage>(capacity, { ...opts, release: releaseMessage, sizeOf: messageBytes }), opts.limits)
}

/** Serves an existing Chan; it is dropped when the last facet goes. */
export function serveChanOf (chan: Chan<ChanMessage>, limits: Partial<ChanLimits> = {}): ChanClient {
  const maxMessageBytes = limits.maxMessageBytes ?? DEFAULT_CHAN_LIMITS.maxMessageBytes
  let holders = 0
  const hold = <T extends object>(impl: T): T & { [Symbol.dispose]: () => void } => {
    holders++
    let disposed = false
    return Object.assign(impl, {
      [Symbol.dispose]: () => {
        if (disposed) return
        disposed = true
        if (--holders === 0) chan.drop()
      }
    })
  }

  const h: Handlers = {
    // send and recv settle synchronously when the channel can act at once: their Returns then
    // leave in the same write as the other answers of the tick (a pipelined chain's, say).
    send (params, _results, ctx) {
      const msg = readMessage(params.msg)
      const size = msg.data.byteLength
      if (size > maxMessageBytes) {
        releaseMessage(msg)
        throw new LimitExceeded(`message of ${size} bytes exceeds maxMessageBytes ${maxMessageBytes}`)
      }
      if (chan.offer(msg)) return
      return chan.send(msg, { signal: ctx.signal }).catch((err: unknown) => {
        releaseMessage(msg) // not taken: the channel never owned it
        throw err
      })
    },
    recv (_params, results, ctx) {
      const now = chan.poll()
      if (now !== undefined) { deliver(results, now); return }
      return chan.recv({ signal: ctx.signal }).then((msg) => {
        if (ctx.signal.aborted) {
          // The hand-off happened but the caller is gone: keep the message for the next receiver.
          chan.putBack(msg)
          throw new Canceled('recv canceled')
        }
        deliver(results, msg)
      })
    },
    close () {
      chan.close()
    },
    stat (_params, results) {
      const s = chan.stat()
      const out = results._initStat()
      out.capacity = s.capacity
      out.buffered = s.buffered
      out.waitingSenders = s.waitingSenders
      out.waitingRecvers = s.waitingRecvers
      out.closed = s.closed
    }
  }

  const chanServer: ChanServer = hold({
    ...h,
    sender (_params, results) {
      using s = SenderClient.serve(hold({ send: h.send }))
      Chan_Sender$Results$Caps.sender.set(results, s)
    },
    recver (_params, results) {
      using r = RecverClient.serve(hold({ recv: h.recv }))
      Chan_Recver$Results$Caps.recver.set(results, r)
    },
    closer (_params, results) {
      using c = CloserClient.serve(hold({ close: h.close }))
      Chan_Closer$Results$Caps.closer.set(results, c)
    }
  })
  return ChanClient.serve(chanServer)
}
