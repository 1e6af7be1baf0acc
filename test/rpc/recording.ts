// A transport wrapper for tests: every message one side sends, decoded by capnp-es.
import * as capnp from 'capnp-es'
import * as rpc from 'capnp-es/capnp/rpc'
import type { MessageTransport } from '../../src/transport/index.js'

/** `t`, recording each message sent through it into `sent`. */
export function recording (t: MessageTransport, sent: rpc.Message[]): MessageTransport {
  return {
    start: (h, l) => { t.start(h, l) },
    send: (frame, lazy) => {
      sent.push(new capnp.Message(frame.slice().buffer, false).getRoot(rpc.Message))
      t.send(frame, lazy)
    },
    close: (err) => { t.close(err) }
  }
}
