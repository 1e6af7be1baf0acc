// A node in this process, a client of it through its API socket, a channel between them, and the counters.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startNode, connect } from 'ww'

const home = mkdtempSync(join(tmpdir(), 'ww-lib-'))
// As `ww start --home $home --listen /ip4/127.0.0.1/tcp/0 --no-mdns --metrics 127.0.0.1:0` would run it.
const node = await startNode({ home, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, metrics: '127.0.0.1:0' })
console.log(`peer ${node.peerId}`)

// What every ww command does: connect to <home>/api.sock and get the node's Host capability.
const client = await connect({ home })
const local = client.host.local()                                       // this host's tree, /<peer>
const walked = local.pipeline.anchor.walk(p => { p.path = 'mailbox' })  // pipelined: no round trip yet
const made = walked.pipeline.anchor.makeChan(p => { p.capacity = 16 })  // ww mkchan /peer/mailbox --cap 16
const chan = made.pipeline.chan
const hello = new TextEncoder().encode('hello')
const sent = chan.send(p => { p._initMsg()._initData(hello.byteLength).copyBuffer(hello) })
await sent
const received = chan.recv()
console.log(new TextDecoder().decode((await received).msg.data.toUint8Array()))   // hello

// The node's counters: Host.metrics, and the same in Prometheus text format at node.metricsUrl.
const metrics = client.host.metrics()
for (const s of (await metrics).snapshot.samples) {
  if (s.name.startsWith('ww_chan_messages')) console.log(`${s.name} ${s.value}`)   // 1 sent, 1 received
}
const text = await (await fetch(node.metricsUrl)).text()
console.log(text.split('\n').find(l => l.startsWith('ww_rpc_calls_total{method="Sender.send"}')))

for (const answer of [metrics, received, sent, made, walked, local]) answer.release()
client.close()
await node.stop()
