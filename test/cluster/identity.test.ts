import assert from 'node:assert/strict'
import { stat, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateIdentity } from '../../src/cluster/index.js'
import { LocalCluster, removeDir, tempDir } from './helpers.js'

describe('cluster: identity', function () {
  this.timeout(20_000)
  let dir: string
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await removeDir(dir) })

  it('creates an Ed25519 key at <home>/identity with mode 0600 in a 0700 home, and reads the same key back', async () => {
    const home = join(dir, 'nested', 'home')
    const key = await loadOrCreateIdentity(home)
    assert.equal(key.type, 'Ed25519')
    assert.equal((await stat(join(home, 'identity'))).mode & 0o777, 0o600)
    assert.equal((await stat(home)).mode & 0o777, 0o700)
    const again = await loadOrCreateIdentity(home)
    assert.equal(peerIdFromPrivateKey(again).toString(), peerIdFromPrivateKey(key).toString())
  })

  it('two homes get different peer IDs', async () => {
    const a = await loadOrCreateIdentity(join(dir, 'a'))
    const b = await loadOrCreateIdentity(join(dir, 'b'))
    assert.notEqual(peerIdFromPrivateKey(a).toString(), peerIdFromPrivateKey(b).toString())
  })

  it('concurrent first starts agree on one key', async () => {
    const keys = await Promise.all([1, 2, 3, 4].map(async () => await loadOrCreateIdentity(join(dir, 'race'))))
    const ids = new Set(keys.map(k => peerIdFromPrivateKey(k).toString()))
    assert.equal(ids.size, 1)
  })

  it('a corrupt key file is a clear InvalidArgument naming the file', async () => {
    await writeFile(join(dir, 'identity'), 'not a key at all')
    await assert.rejects(loadOrCreateIdentity(dir), (err: Error) => {
      assert.equal(err.name, 'InvalidArgument')
      assert.match(err.message, /identity key .*identity is corrupt/)
      return true
    })
  })

  it('an unreadable key file is a clear InvalidArgument', async function () {
    await writeFile(join(dir, 'identity'), new Uint8Array(10))
    await chmod(join(dir, 'identity'), 0o000)
    if (process.getuid?.() === 0) {
      // root reads anything: an unreadable file cannot be made, use a directory in its place instead
      await removeDir(join(dir, 'identity'))
      await (await import('node:fs/promises')).mkdir(join(dir, 'identity'))
    }
    await assert.rejects(loadOrCreateIdentity(dir), { name: 'InvalidArgument', message: /cannot read identity key/ })
  })

  it('a restarted node keeps its peer ID', async () => {
    const cluster = new LocalCluster()
    try {
      const first = await cluster.add({ home: dir })
      const id = first.peerId
      const instance = first.membership.instance
      await cluster.stop()
      const second = await cluster.add({ home: dir })
      assert.equal(second.peerId, id)
      assert.notEqual(second.membership.instance, instance)
    } finally {
      await cluster.stop()
    }
  })
})
