// One bench worker process: runs `count` cluster nodes. Protocol on stdin/stdout, one JSON line each:
//   out {ready, rss, cpuMs}                  after imports and key generation (cpuMs: CPU time used so far)
//   in  {start, bootstrap?, total}           start the nodes (the first one alone if no bootstrap given)
//   out {first}                              the first node's address, when this worker bootstraps the others
//   out {converged, rss, cpuMs}              every node of this worker lists `total` hosts
//   in  {stop}                               stop everything and exit
import { createInterface } from 'node:readline'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { heartbeatWire } from '../../src/caps/heartbeat.js'
import { ClusterNode } from '../../src/cluster/index.js'

const count = Number(process.argv[2])
const send = (o: object): void => { process.stdout.write(JSON.stringify(o) + '\n') }
const keys = await Promise.all(Array.from({ length: count }, async () => await generateKeyPair('Ed25519')))
const common = { heartbeatWire, namespace: 'bench', listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, dht: process.env.WW_BENCH_DHT !== '0', ...(process.env.WW_BENCH_DIALS !== undefined ? { maxMemberDials: Number(process.env.WW_BENCH_DIALS) } : {}) }
const nodes: ClusterNode[] = []
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
send({ ready: true, rss: process.memoryUsage().rss, cpuMs: cpuMs() })

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line)
  if (cmd.start === true) {
    let bootstrap: string | undefined = cmd.bootstrap
    let todo = keys
    if (bootstrap === undefined) {
      const first = await ClusterNode.start({ ...common, privateKey: keys[0] })
      nodes.push(first)
      bootstrap = first.addrs()[0]
      send({ first: bootstrap })
      todo = keys.slice(1)
    }
    nodes.push(...await Promise.all(todo.map(async privateKey => await ClusterNode.start({ ...common, privateKey, bootstrap: [bootstrap!] }))))
    const t0 = Date.now()
    let lastReport = 0
    while (!nodes.every(n => n.table.size >= cmd.total)) {
      await new Promise(resolve => setTimeout(resolve, 5))
      if (process.env.WW_BENCH_TRACE !== undefined && Date.now() - lastReport > 1000) {
        lastReport = Date.now()
        if (Date.now() - t0 > Number(process.env.WW_BENCH_STUCK_MS ?? 8000)) {
          for (const x of nodes.filter(x => x.table.size < cmd.total)) {
            const g: any = x.libp2p.services.pubsub
            process.stderr.write(`STUCK ${x.peerId.slice(-6)} missing ${nodes.filter(y => x.lookup(y.peerId) === undefined).map(y => y.peerId.slice(-6)).join(',')} table ${x.table.size} conns ${x.libp2p.getConnections().map(c => `${c.remotePeer.toString().slice(-6)}:${c.direction}:${c.status}:${c.streams.map(st => st.protocol).join('+')}`).join(' ')}\n`)
            process.stderr.write(`   gossip peers ${g.getPeers().map((p: any) => p.toString().slice(-6)).join(',')} out ${[...g.streamsOutbound.keys()].map((p: string) => p.slice(-6)).join(',')} in ${[...g.streamsInbound.keys()].map((p: string) => p.slice(-6)).join(',')} subs ${g.getSubscribers('/ww/bench/cluster').length} mesh ${g.mesh.get('/ww/bench/cluster')?.size} scores ${g.getPeers().map((p: any) => g.getScore(p.toString()).toFixed(0)).join(',')}\n`)
          }
        }
        process.stderr.write(`[${process.pid} +${Date.now() - t0}] tables ${nodes.map(n => n.table.size).join(',')} conns ${nodes.map(n => n.libp2p.getConnections().length).join(',')} stats ${nodes.map(n => `${n.membership.stats.published}/${n.membership.stats.accepted}/${n.membership.stats.ignored}/${n.membership.stats.rejected}`).join(' ')}\n`)
      }
    }
    send({ converged: true, rss: process.memoryUsage().rss, cpuMs: cpuMs() })
  } else if (cmd.stop === true) {
    await Promise.all(nodes.map(async n => await n.stop()))
    process.exit(0)
  }
}
