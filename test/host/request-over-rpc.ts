// A request taken out of a channel over RPC, as a remote host takes it: the message's text and the reply Sender it
// carries, for the tests of the remote request path and of the local reply slot.
import assert from 'node:assert/strict'
import { readMessage } from '../../src/caps/chan-message.js'
import type { ChanCap } from '../../src/proc/index.js'
import type { Capability } from '../../src/rpc/index.js'
import { RecverClient, SenderClient } from '../../src/schema/channel.rpc.js'

/** Receives the next message of `inbox` through its exported Recver and hands `use` its text and reply Sender, released after. */
export async function withRequestOverRpc (inbox: ChanCap, use: (text: string, sender: SenderClient) => Promise<void>): Promise<void> {
  const recver = RecverClient.from(await inbox.origin!.recver!.export() as Capability)
  try {
    using ans = recver.recv()
    const msg = readMessage((await ans).msg)
    assert.ok(msg.cap !== null, 'the reply sender was written into the RPC message')
    const sender = SenderClient.from(msg.cap.dup())
    msg.cap.release()
    try {
      await use(new TextDecoder().decode(msg.data), sender)
    } finally { sender.release() }
  } finally { recver.release() }
}
