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
  ChanClient, CloserClient, RecverClient, RequestSenderClient, SenderClient,
  Chan_Closer$Results$Caps, Chan_Recver$Results$Caps, Chan_Sender$Results$Caps,
  type ChanServer, type CloserServer, type RecverServer, type RequestSenderServer, type SenderServer
} from '../schema/channel.rpc.js'
import { Chan, type ChanOptions } from '../csp/chan.js'
import { DEFAULT_CHAN_LIMITS, type ChanLimits } from '../csp/limits.js'
import { localServer, type Capability } from '../rpc/index.js'
import { FacetRefs } from './facet-refs.js'
import type { Message } from '../schema/channel.js'
import { messageBytes, readMessageField, releaseMessage, writeMessage, writeMessageField, type ChanMessage } from './chan-message.js'

type Handlers = SenderServer & RecverServer & CloserServer & Pick<ChanServer, 'stat'>

/** Writes a received message into recv's results (which take their own reference). */
function deliver (results: Parameters<RecverServer['recv']>[1], msg: ChanMessage): void {
  try {
    writeMessage(results._initMsg(), msg)
  } finally {
    releaseMessage(msg)
  }
}

const msgOf = (params: Parameters<SenderServer['send']>[0]): Message => params.msg
const initReply = (results: Parameters<RequestSenderServer['request']>[1]): Message => results._initReply()

/** Sender.send on `chan`. */
function sendTo (chan: Chan<ChanMessage>, maxMessageBytes: number): SenderServer['send'] {
  return (params, _results, ctx) => {
    const msg = readMessageField(params, 0, msgOf)
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
  }
}

/** Serves a new channel of the given capacity; the returned Chan capability is yours to release. */
export function serveChan (capacity = 0, opts: Pick<ChanOptions<ChanMessage>, 'limits'> = {}): ChanClient {
  return serveChanOf(new Chan<ChanMessage>(capacity, { ...opts, release: releaseMessage, sizeOf: messageBytes }), opts.limits)
}

/** A channel facet's server object carries its channel when it may be used directly in this process (localChanOf). */
const LOCAL_CHAN = Symbol('ww.localChan')
export type ChanFacet = 'chan' | 'sender' | 'recver'
interface LocalChan { chan: Chan<ChanMessage>, facet: ChanFacet }
interface Traceable { [LOCAL_CHAN]?: LocalChan }

function traceable<T extends object> (impl: T, chan: Chan<ChanMessage>, facet: ChanFacet): T {
  (impl as Traceable)[LOCAL_CHAN] = { chan, facet }
  return impl
}

/**
 * The channel behind `cap` and which facet of it `cap` is, when `cap` is served in this process by a channel served
 * with `local` (a guest's own channel) or is the reply Sender of a request served here: a user here may then send
 * and receive on the channel directly.
 */
export function localChanOf (cap: Capability): LocalChan | undefined {
  return (localServer(cap) as Traceable | undefined)?.[LOCAL_CHAN]
}

/**
 * Serves an existing Chan; it is dropped when the last facet goes. `local`: its Chan, Sender and Recver capabilities
 * lead back to `chan` (localChanOf), so one that comes back to this process is used without RPC. `afterHandOff`: called
 * when a request's message was taken at once (a host runs the guest it woke there, so a quick answer is there when it returns).
 */
export function serveChanOf (chan: Chan<ChanMessage>, limits: Partial<ChanLimits> = {}, local = false, afterHandOff?: () => unknown): ChanClient {
  const mark = <T extends object>(impl: T, facet: ChanFacet): T => local ? traceable(impl, chan, facet) : impl
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
    send: sendTo(chan, maxMessageBytes),
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

  /**
   * Request/reply in one call (RequestSender.request): the message goes in with a reply Sender of a new channel of
   * capacity 1 in its cap field, and the first message on that channel is the answer. The reply channel ends with the
   * call (a late answer fails Closed). The reply Sender rides as a local reference (FacetRefs): a receiver in this
   * process uses the channel directly, and it is served as a capability only if it leaves through RPC.
   */
  const request: RequestSenderServer['request'] = (params, results, ctx) => {
    const msg = readMessageField(params, 0, msgOf)
    releaseMessage(msg) // the reply Sender takes the cap field
    if (msg.data.byteLength > maxMessageBytes) throw new LimitExceeded(`message of ${msg.data.byteLength} bytes exceeds maxMessageBytes ${maxMessageBytes}`)
    const { chan: reply, refs } = replyChannel(maxMessageBytes)
    const end = (): void => { reply.close(); refs.release() }
    const answer = (m: ChanMessage): void => {
      try { writeMessageField(results, 0, m, initReply) } finally { releaseMessage(m) }
    }
    const out: ChanMessage = { data: msg.data, cap: null, local: refs.retain() }
    let sent: boolean
    try {
      sent = chan.offer(out)
      if (sent) afterHandOff?.()
      const now = sent ? reply.poll() : undefined
      if (now !== undefined) {
        end()
        answer(now)
        return
      }
    } catch (err) {
      end()
      throw err
    }
    return (async () => {
      try {
        if (!sent) {
          await chan.send(out, { signal: ctx.signal }).catch((err: unknown) => {
            releaseMessage(out)
            throw err
          })
        }
        answer(await reply.recv({ signal: ctx.signal }))
      } finally { end() }
    })()
  }

  const chanServer: ChanServer = hold({
    ...h,
    sender (_params, results) {
      using s = RequestSenderClient.serve(mark(hold({ send: h.send, request }), 'sender'))
      Chan_Sender$Results$Caps.sender.set(results, s)
    },
    recver (_params, results) {
      using r = RecverClient.serve(mark(hold({ recv: h.recv }), 'recver'))
      Chan_Recver$Results$Caps.recver.set(results, r)
    },
    closer (_params, results) {
      using c = CloserClient.serve(hold({ close: h.close }))
      Chan_Closer$Results$Caps.closer.set(results, c)
    }
  })
  return ChanClient.serve(mark(chanServer, 'chan'))
}

/**
 * A request's reply channel (capacity 1) and the one counted local reference to its Sender, which is served as a
 * capability (serveSenderOf) only if it leaves through RPC; the channel is dropped with the last reference.
 */
export function replyChannel (maxMessageBytes: number): { chan: Chan<ChanMessage>, refs: FacetRefs } {
  const chan = new Chan<ChanMessage>(1, { release: releaseMessage, sizeOf: messageBytes })
  return { chan, refs: new FacetRefs(chan, 'sender', undefined, () => serveSenderOf(chan, maxMessageBytes)) }
}

/** Serves a Sender on `chan` and nothing else (a request's reply Sender); yours to release. The last reference drops `chan`. */
export function serveSenderOf (chan: Chan<ChanMessage>, maxMessageBytes: number): SenderClient {
  return SenderClient.serve(traceable({ send: sendTo(chan, maxMessageBytes), [Symbol.dispose]: () => { chan.drop() } }, chan, 'sender'))
}
