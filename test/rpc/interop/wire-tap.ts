// A transport wrapper that records the kind of every rpc.capnp message crossing it, so tests can
// check which protocol paths a scenario really took (tail calls, Resolve, Disembargo, Release...).
// Events read like "in call:yourself", "out return:resultsSentElsewhere", "out disembargo:senderLoopback";
// each capability descriptor in a payload or Resolve adds one like "out cap:receiverAnswer", and a
// message of more than one segment adds "in segments>1".
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import type { MessageTransport, Segments } from '../../../src/transport/index.js'

function describe (msg: capnp.Message): string {
  const m = msg.getRoot(rpc.Message)
  switch (m.which()) {
    case rpc.Message.CALL: {
      const to = m.call.sendResultsTo.which()
      return to === rpc.Call_SendResultsTo.YOURSELF ? 'call:yourself' : to === rpc.Call_SendResultsTo.CALLER ? 'call' : 'call:thirdParty'
    }
    case rpc.Message.RETURN: {
      const names: Record<number, string> = {
        [rpc.Return.RESULTS]: 'results',
        [rpc.Return.EXCEPTION]: 'exception',
        [rpc.Return.CANCELED]: 'canceled',
        [rpc.Return.RESULTS_SENT_ELSEWHERE]: 'resultsSentElsewhere',
        [rpc.Return.TAKE_FROM_OTHER_QUESTION]: 'takeFromOtherQuestion'
      }
      return `return:${names[m.return.which()] ?? 'other'}`
    }
    case rpc.Message.DISEMBARGO: {
      const c = m.disembargo.context.which()
      return `disembargo:${c === rpc.Disembargo_Context.SENDER_LOOPBACK ? 'senderLoopback' : c === rpc.Disembargo_Context.RECEIVER_LOOPBACK ? 'receiverLoopback' : 'other'}`
    }
    case rpc.Message.RESOLVE: return `resolve:${m.resolve.which() === rpc.Resolve.CAP ? 'cap' : 'exception'}`
    case rpc.Message.RELEASE: return 'release'
    case rpc.Message.FINISH: return 'finish'
    case rpc.Message.BOOTSTRAP: return 'bootstrap'
    case rpc.Message.ABORT: return `abort:${m.abort.reason}`
    case rpc.Message.UNIMPLEMENTED: return 'unimplemented'
    default: return `other:${m.which()}`
  }
}

const descriptorNames: Record<number, string> = {
  [rpc.CapDescriptor.NONE]: 'none',
  [rpc.CapDescriptor.SENDER_HOSTED]: 'senderHosted',
  [rpc.CapDescriptor.SENDER_PROMISE]: 'senderPromise',
  [rpc.CapDescriptor.RECEIVER_HOSTED]: 'receiverHosted',
  [rpc.CapDescriptor.RECEIVER_ANSWER]: 'receiverAnswer',
  [rpc.CapDescriptor.THIRD_PARTY_HOSTED]: 'thirdPartyHosted'
}

function descriptors (msg: capnp.Message): string[] {
  const m = msg.getRoot(rpc.Message)
  const out: rpc.CapDescriptor[] = []
  if (m.which() === rpc.Message.CALL) out.push(...m.call.params.capTable)
  else if (m.which() === rpc.Message.RETURN && m.return.which() === rpc.Return.RESULTS) out.push(...m.return.results.capTable)
  else if (m.which() === rpc.Message.RESOLVE && m.resolve.which() === rpc.Resolve.CAP) out.push(m.resolve.cap)
  return out.map((d) => `cap:${descriptorNames[d.which()] ?? 'other'}`)
}

function events (msg: capnp.Message, segmentCount: number): string[] {
  try {
    const e = [describe(msg), ...descriptors(msg)]
    if (segmentCount > 1) e.push('segments>1')
    return e
  } catch (err) {
    return [`undecodable:${String(err)}`]
  }
}

export interface Tap {
  transport: MessageTransport
  events: string[]
}

export function tap (inner: MessageTransport): Tap {
  const seen: string[] = []
  const transport: MessageTransport = {
    start (handler, limits) {
      inner.start({
        message (segments: Segments) {
          for (const e of events(new capnp.Message({ kind: 1, buffers: segments } as unknown as ArrayBuffer, false), segments.length)) seen.push('in ' + e)
          handler.message(segments)
        },
        closed (err) { handler.closed(err) }
      }, limits)
    },
    send (frame) {
      for (const e of events(new capnp.Message(frame.slice().buffer, false), new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true) + 1)) seen.push('out ' + e)
      inner.send(frame)
    },
    close (err) { inner.close(err) }
  }
  return { transport, events: seen }
}
