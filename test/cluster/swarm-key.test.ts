// The swarm key file (kubo/go-libp2p format), its fingerprint, and the key check on connections, with in-process nodes.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { generateKey, preSharedKey } from '@libp2p/pnet'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createRequire } from 'node:module'
import { heartbeatWire } from '../../src/caps/heartbeat.js'
import { ClusterNode, newSwarmKeyText, parseSwarmKey, type ClusterNotice } from '../../src/cluster/index.js'
import { hsalsa20, salsa20Block } from '../../src/cluster/salsa20.js'
import { swarmKeyFingerprint } from '../../src/cluster/swarm-key-fingerprint.js'
import { InvalidArgument } from '../../src/errors.js'
import { eventually } from '../waiting.js'
import { yamux } from '@chainsafe/libp2p-yamux'
import { noise } from '@chainsafe/libp2p-noise'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from '@libp2p/interface'

/** @libp2p/pnet's own cipher (a dependency of it), the independent XSalsa20 the fingerprint's core is checked against. */
const xsalsa20 = createRequire(import.meta.resolve('@libp2p/pnet'))('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => { update: (b: Uint8Array) => Uint8Array }
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('cluster: swarm key file and fingerprint', () => {
  it('reads the key files @libp2p/pnet makes, and @libp2p/pnet reads ours', () => {
    const theirs = new Uint8Array(95)
    generateKey(theirs)
    const parsed = parseSwarmKey(theirs, 'theirs.key')
    assert.deepEqual(parsed.encoded, theirs)
    const ours = parseSwarmKey(bytes(newSwarmKeyText()), 'ours.key')
    assert.doesNotThrow(() => preSharedKey({ psk: ours.encoded })())
  })

  it('accepts CRLF line ends, upper-case hex and trailing blank lines, all as the same key', () => {
    const hex = randomBytes(32).toString('hex')
    const canonical = parseSwarmKey(bytes(`/key/swarm/psk/1.0.0/\n/base16/\n${hex}`), 'k')
    for (const text of [`/key/swarm/psk/1.0.0/\r\n/base16/\r\n${hex.toUpperCase()}\r\n`, `/key/swarm/psk/1.0.0/\n/base16/\n${hex}\n\n\n`]) {
      const other = parseSwarmKey(bytes(text), 'k')
      assert.deepEqual(other.encoded, canonical.encoded)
      assert.equal(other.fingerprint, canonical.fingerprint)
    }
  })

  it('refuses a malformed file with InvalidArgument naming the file', () => {
    for (const text of ['', '/key/swarm/psk/1.0.0/\n/base16/\n', `/key/swarm/psk/2.0.0/\n/base16/\n${'a'.repeat(64)}`, 'x'.repeat(2000)]) {
      assert.throws(() => parseSwarmKey(bytes(text), '/etc/k'), (err: Error) => err instanceof InvalidArgument && err.message.startsWith('swarm key file /etc/k is malformed: '))
    }
  })

  it('the fingerprint core is Salsa20: HSalsa20 then Salsa20 from it gives the same stream as an independent XSalsa20', () => {
    for (let i = 0; i < 20; i++) {
      const key = randomBytes(32)
      const nonce = randomBytes(24)
      const mine = salsa20Block(hsalsa20(key, nonce.subarray(0, 16)), nonce.subarray(16))
      assert.deepEqual(Buffer.from(mine), Buffer.from(xsalsa20(nonce, key).update(new Uint8Array(64))))
    }
    const key = randomBytes(32)
    assert.match(swarmKeyFingerprint(key), /^[0-9a-f]{32}$/)
    assert.equal(swarmKeyFingerprint(key), swarmKeyFingerprint(Uint8Array.from(key)))
    assert.notEqual(swarmKeyFingerprint(key), swarmKeyFingerprint(randomBytes(32)))
  })
})

describe('cluster: the swarm key check on connections (in-process nodes)', function () {
  this.timeout(60_000)
  const nodes: ClusterNode[] = []
  afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => await n.stop())) })

  async function node (key: string | undefined, notices: ClusterNotice[] = []): Promise<ClusterNode> {
    const n = await ClusterNode.start({
      privateKey: await generateKeyPair('Ed25519'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
      dht: false,
      heartbeatWire,
      swarmKey: key === undefined ? undefined : parseSwarmKey(bytes(key), 'test.key'),
      onNotice: x => { notices.push(x) }
    })
    nodes.push(n)
    return n
  }

  it('nodes with one key connect and join; with another key or none, every dial fails and the listener says so once', async () => {
    const [k1, k2] = [newSwarmKeyText(), newSwarmKeyText()]
    const heard: ClusterNotice[] = []
    const a = await node(k1, heard)
    const friend = await node(k1)
    assert.equal(await friend.connect(a.addrs()[0], 20_000), a.peerId)
    await eventually('the two with one key to list each other', () => a.ls().length === 2 && friend.ls().length === 2)
    for (const stranger of [await node(k2), await node(undefined)]) {
      for (let i = 0; i < 3; i++) {
        await assert.rejects(stranger.connect(a.addrs()[0], 20_000), /cannot reach/)
      }
      assert.equal(stranger.libp2p.getConnections(a.libp2p.peerId).length, 0)
    }
    await eventually('the refusal to be told', () => heard.some(n => n.type === 'swarm-key-mismatch'))
    const refusals = heard.filter(n => n.type === 'swarm-key-mismatch')
    assert.equal(refusals.length, 1, JSON.stringify(refusals))
    assert.equal(refusals[0].type === 'swarm-key-mismatch' && refusals[0].direction, 'inbound')
    assert.deepEqual(a.ls().map(r => r.peer).sort(), [a.peerId, friend.peerId].sort())
    assert.equal(heard.filter(n => n.type === 'handshake-failed').length, 0, 'a key mismatch is not reported as a handshake failure too')
  })

  /** A plain libp2p node (no ww code) whose connections are protected by @libp2p/pnet with `key`. */
  async function stockNode (key: string): Promise<Libp2p> {
    return await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionProtector: preSharedKey({ psk: bytes(key) }),
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] }
    })
  }

  it('a stock libp2p node with @libp2p/pnet and the same key file connects both ways (the key check passes a standard peer)', async () => {
    const key = newSwarmKeyText()
    const heard: ClusterNotice[] = []
    const ours = await node(key, heard)
    const stock = await stockNode(key)
    try {
      const conn = await stock.dial(ours.libp2p.getMultiaddrs()[0])
      assert.equal(conn.remotePeer.toString(), ours.peerId)
      await conn.close()
      await eventually('the first connection to close', () => ours.libp2p.getConnections(stock.peerId).length === 0)
      assert.equal(await ours.connect(stock.getMultiaddrs()[0].toString(), 20_000), stock.peerId.toString())
      assert.equal(heard.filter(n => n.type === 'swarm-key-mismatch').length, 0)
    } finally {
      await stock.stop()
    }
  })

  it('bytes cross intact between our protector and @libp2p/pnet both ways (2 MiB each in chunks of 1 B to 64 KiB)', async () => {
    const key = newSwarmKeyText()
    const ours = await node(key)
    const stock = await stockNode(key)
    try {
      await echoOn(stock)
      await echoOn(ours.libp2p)
      assert.equal(await ours.connect(stock.getMultiaddrs()[0].toString(), 20_000), stock.peerId.toString())
      await echoes(ours.libp2p, stock)
      await echoes(stock, ours.libp2p)
    } finally {
      await stock.stop()
    }
  })

  it('a connection carries 48 MiB each way in sends of up to 1 MiB (the cipher @libp2p/pnet 3.0.27 uses fails after ~29 MiB)', async () => {
    // The npm xsalsa20 package keeps both directions of a connection in one WASM memory, and each instance grows it
    // again through its stale view of the other's growth: a few dozen 1 MiB chunks exceed its 64 MiB maximum.
    const key = newSwarmKeyText()
    const [a, b] = [await node(key), await node(key)]
    await echoOn(b.libp2p)
    assert.equal(await a.connect(b.addrs()[0], 20_000), b.peerId)
    await echoes(a.libp2p, b.libp2p, 48 * 1024 * 1024, 1024 * 1024)
  })

  it('a stock @libp2p/pnet node with another key connects neither way, and the listener says so', async () => {
    const heard: ClusterNotice[] = []
    const ours = await node(newSwarmKeyText(), heard)
    const stranger = await stockNode(newSwarmKeyText())
    try {
      await assert.rejects(stranger.dial(ours.libp2p.getMultiaddrs()[0], { signal: AbortSignal.timeout(20_000) }))
      await eventually('the refusal to be told', () => heard.some(n => n.type === 'swarm-key-mismatch' && n.direction === 'inbound'))
      await assert.rejects(ours.connect(stranger.getMultiaddrs()[0].toString(), 20_000), /cannot reach/)
      assert.equal(ours.libp2p.getConnections(stranger.peerId).length, 0)
      assert.equal(stranger.getConnections(ours.libp2p.peerId).length, 0)
    } finally {
      await stranger.stop()
    }
  })
})

const echoProtocol = '/ww/test/echo/1.0.0'

/** Echoes every byte of every stream on echoProtocol. */
async function echoOn (node: Libp2p): Promise<void> {
  await node.handle(echoProtocol, (stream) => {
    stream.addEventListener('message', evt => {
      if (!stream.send(evt.data)) stream.pause()
    })
    stream.addEventListener('drain', () => { stream.resume() })
    stream.addEventListener('remoteCloseWrite', () => { void stream.close() })
  })
}

/**
 * Sends `total` random bytes from `from` to the echo on `to`, in chunks of random sizes (at most `largest`, half of
 * them at most 200 bytes), and checks they all come back in order. At most `inFlight` bytes are on their way at a
 * time: yamux grants its window as data arrives, not as it is read, so an echo that pauses its reading while its
 * replies back up would otherwise buffer past libp2p's per-stream read limit (4 MiB) and reset the stream.
 */
async function echoes (from: Libp2p, to: Libp2p, total = 2 * 1024 * 1024, largest = 65_536, inFlight = 2 * 1024 * 1024): Promise<void> {
  const sent = randomBytes(total)
  const back = new Uint8Array(total)
  let got = 0
  let cameBack: (() => void) | undefined
  const stream = await from.dialProtocol(to.peerId, echoProtocol)
  const done = new Promise<void>((resolve, reject) => {
    stream.addEventListener('message', evt => {
      const data = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray()
      if (got + data.length > total) { reject(new Error('more bytes came back than were sent')); return }
      back.set(data, got)
      got += data.length
      cameBack?.()
      if (got === total) resolve()
    })
    stream.addEventListener('close', evt => { if (got < total) reject(evt.error ?? new Error(`the stream closed after ${got} of ${total} bytes`)) })
  })
  for (let at = 0; at < total;) {
    const size = Math.min(total - at, Math.random() < 0.5 ? 1 + Math.floor(Math.random() * 200) : 1 + Math.floor(Math.random() * largest))
    if (!stream.send(sent.subarray(at, at + size))) await stream.onDrain()
    at += size
    while (at - got > inFlight) await Promise.race([done, new Promise<void>(resolve => { cameBack = resolve })])
  }
  await done
  assert.ok(Buffer.from(back).equals(sent), 'the bytes that came back differ from those sent')
  await stream.close()
}
